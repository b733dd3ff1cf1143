import ts from 'typescript';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import * as bulwark from '../../src/index';
import { Fallback, Retry, resilient, Timeout, type Policy } from '../../src/index';

describe('@resilient (compiled by vitest)', () => {
  it('runs the method through the composed policies, keeping this and the arguments', async () => {
    class Prices {
      calls = 0;
      constructor(readonly currency: string) {}

      @resilient(new Fallback({ fallback: -1 }), new Retry({ maxAttempts: 3, initialDelayMs: 0 }))
      async price(symbol: string): Promise<number> {
        this.calls++;
        if (this.calls < 3) throw new Error(`${symbol} quote unavailable`);
        return symbol.length * (this.currency === 'EUR' ? 2 : 1);
      }
    }
    const prices = new Prices('EUR');
    await expect(prices.price('ACME')).resolves.toBe(8);
    expect(prices.calls).toBe(3);
  });

  it("keeps the method's type", () => {
    class Repo {
      @resilient(new Retry())
      async find(id: number, includeDeleted = false): Promise<{ id: number; includeDeleted: boolean }> {
        return { id, includeDeleted };
      }
    }
    expectTypeOf<Repo['find']>().toEqualTypeOf<(id: number, includeDeleted?: boolean) => Promise<{ id: number; includeDeleted: boolean }>>();
  });

  it('makes one policy per instance with a factory, on first use', async () => {
    const factory = vi.fn((instance: Client) => new Timeout({ timeoutMs: instance.timeoutMs, name: `client-${instance.timeoutMs}` }));
    class Client {
      constructor(readonly timeoutMs: number) {}

      @resilient(factory)
      async call(): Promise<string> {
        return `ok in ${this.timeoutMs}`;
      }
    }
    const fast = new Client(10);
    const slow = new Client(1_000);
    await fast.call();
    await fast.call();
    await slow.call();
    expect(factory).toHaveBeenCalledTimes(2);
    expect(factory.mock.results.map((r) => (r.value as Policy).name)).toEqual(['client-10', 'client-1000']);
  });

  it('throws a TypeError at class definition when applied to a field or getter', () => {
    // Typed loosely on purpose: TypeScript itself refuses @resilient on a field or getter.
    const decorator = resilient(new Retry()) as unknown as (value: unknown, context: DecoratorContext) => void;
    expect(() => {
      class WithField {
        @decorator value = 1;
      }
      return WithField;
    }).toThrow(new TypeError('@resilient decorates methods only; "value" is a field'));
    expect(() => {
      class WithGetter {
        @decorator get value() {
          return 1;
        }
      }
      return WithGetter;
    }).toThrow(/is a getter/);
  });

  it('rejects the call, without throwing, when the policy factory fails', async () => {
    class Broken {
      @resilient(() => {
        throw new Error('no policy today');
      })
      async call(): Promise<number> {
        return 1;
      }
    }
    const call = new Broken().call();
    expect(call).toBeInstanceOf(Promise);
    await expect(call).rejects.toThrow('no policy today');
  });

  it('refuses arguments that are not policies', () => {
    expect(() => resilient({} as never)).toThrow(TypeError);
  });
});

describe('@resilient (compiled by the TypeScript 5 compiler, standard decorators)', () => {
  const source = `
    import { resilient, Retry } from 'bulwark';
    export class Inventory {
      attempts = 0;
      @resilient(new Retry({ maxAttempts: 2, initialDelayMs: 0 }))
      async count(sku: string): Promise<string> {
        this.attempts++;
        if (this.attempts === 1) throw new Error('first try fails');
        return sku + ':' + this.attempts;
      }
    }
    export function defineBadClass() {
      class Bad {
        @(resilient(new Retry()) as any) field = 1;
      }
      return Bad;
    }
  `;

  function compile(): Record<string, unknown> {
    const output = ts.transpileModule(source, {
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        experimentalDecorators: false,
        strict: true,
      },
      reportDiagnostics: true,
    });
    expect(output.diagnostics ?? []).toEqual([]);
    expect(output.outputText).toContain('__esDecorate');
    const module = { exports: {} as Record<string, unknown> };
    const requireShim = (id: string) => {
      if (id === 'bulwark') return bulwark;
      throw new Error(`unexpected import ${id}`);
    };
    new Function('require', 'module', 'exports', output.outputText)(requireShim, module, module.exports);
    return module.exports;
  }

  it('retries the decorated method of the compiled class', async () => {
    const { Inventory } = compile() as { Inventory: new () => { count(sku: string): Promise<string>; attempts: number } };
    const inventory = new Inventory();
    await expect(inventory.count('sku-1')).resolves.toBe('sku-1:2');
  });

  it('throws a TypeError when the compiled class decorates a field', () => {
    const { defineBadClass } = compile() as { defineBadClass: () => unknown };
    expect(defineBadClass).toThrow(TypeError);
  });
});
