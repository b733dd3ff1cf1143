export { resilient, type AsyncMethod, type PolicyFactory, type ResilientDecorator } from './resilient';
