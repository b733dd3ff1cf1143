/**
 * `@resilient`: the method decorator that runs a method through policies.
 *
 * Guide: [composition.md](../../docs/composition.md).
 * @module decorators
 */
export { resilient, type AsyncMethod, type PolicyFactory, type ResilientDecorator } from './resilient';
