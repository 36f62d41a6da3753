import { Token, UnscopedValidationError, ValidationError } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

type ErrorName = ConstructorParameters<typeof ValidationError>[0];
type UnscopedErrorName = ConstructorParameters<typeof UnscopedValidationError>[0];

/**
 * Collects every problem with a construct's props so the user sees them all in one synth,
 * then throws one `ValidationError` attached to the construct.
 */
export class PropsValidator {
  private readonly problems: string[] = [];

  constructor(private readonly scope: IConstruct, private readonly errorName: string) {}

  /** Records `message` when `condition` is true. */
  public check(condition: boolean, message: string): this {
    if (condition) this.problems.push(message);
    return this;
  }

  /** Records `message` when `condition` is true and none of `values` is an unresolved token. */
  public checkResolved(values: unknown[], condition: () => boolean, message: string): this {
    if (values.some((v) => v !== undefined && Token.isUnresolved(v))) return this;
    return this.check(condition(), message);
  }

  public throwIfInvalid(): void {
    if (this.problems.length === 0) return;
    const text = this.problems.length === 1
      ? this.problems[0]
      : `${this.problems.length} problems:\n- ${this.problems.join('\n- ')}`;
    throw new ValidationError(this.errorName as ErrorName, text, this.scope);
  }
}

/** Records a problem when a list of names repeats one. */
export function checkUnique(v: PropsValidator, prop: string, names: string[]): void {
  const seen = new Set<string>();
  const repeated = names.filter((n) => seen.size === seen.add(n).size);
  v.check(repeated.length > 0, `'${prop}' repeats the name(s) ${repeated.map((n) => `'${n}'`).join(', ')}; give each one a unique name`);
}

/** Throws a `ValidationError` for a value checked outside any construct (a static factory's argument). */
export function throwUnscoped(errorName: string, message: string): never {
  throw new UnscopedValidationError(errorName as UnscopedErrorName, message);
}

/** Throws one `ValidationError` attached to `scope`, for a problem found outside a props check. */
export function throwInvalid(scope: IConstruct, errorName: string, message: string): never {
  throw new ValidationError(errorName as ErrorName, message, scope);
}
