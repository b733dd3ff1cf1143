import { describe, expect, it } from 'vitest';
import { CallContext, SignalScope } from '../../src/core/context';
import { RejectedError } from '../../src/core/errors';
import { ExceptionHandler } from '../../src/core/exceptions';
import { FAILURE, IGNORED, OutcomeClassifier, SUCCESS } from '../../src/core/outcome';

class ValidationError extends Error {}
class NotFoundError extends Error {}
class TimedOut extends Error {}

const plain = new CallContext(1, undefined, 'normal', undefined, undefined);

function classifier(handle?: readonly (new (...args: never[]) => Error)[], alwaysFailure?: (error: unknown) => boolean) {
  const handler = new ExceptionHandler(
    { ...(handle === undefined ? {} : { handle }), ignore: [NotFoundError] },
    'test',
    'classifier',
  );
  return new OutcomeClassifier(handler, alwaysFailure);
}

describe('OutcomeClassifier', () => {
  it('counts handled errors as failures, ignored ones as neither, the rest as successes', () => {
    const classify = classifier([TypeError]);
    expect(classify.classify(new TypeError('down'), plain)).toBe(FAILURE);
    expect(classify.classify(new NotFoundError('gone'), plain)).toBe(IGNORED);
    expect(classify.classify(new ValidationError('bad input'), plain)).toBe(SUCCESS);
  });

  it('counts every error but ignored ones as a failure by default', () => {
    expect(classifier().classify(new ValidationError('x'), plain)).toBe(FAILURE);
    expect(classifier().classify(new NotFoundError('x'), plain)).toBe(IGNORED);
  });

  it('ignores a call its caller aborted and a refusal by an inner policy', () => {
    const controller = new AbortController();
    controller.abort(new Error('caller gave up'));
    const aborted = new CallContext(1, undefined, 'normal', undefined, new SignalScope(controller.signal));
    expect(classifier().classify(new Error('after abort'), aborted)).toBe(IGNORED);
    const refusal = new RejectedError('FULL', 'full', 'inner', 'queueFull', 0);
    expect(classifier().classify(refusal, plain)).toBe(IGNORED);
  });

  it('counts the errors alwaysFailure accepts as failures even when not handled, but never ignored ones', () => {
    const classify = classifier([TypeError], (error) => error instanceof TimedOut || error instanceof NotFoundError);
    expect(classify.classify(new TimedOut('slow'), plain)).toBe(FAILURE);
    expect(classify.classify(new NotFoundError('gone'), plain)).toBe(IGNORED);
    expect(classify.classify(new ValidationError('bad'), plain)).toBe(SUCCESS);
  });
});
