import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Fails synth when another construct of the same kind in the app has the same name in the same
 * account and region: SageMaker and Step Functions names are unique there, so the second stack's
 * deploy would fail (or, worse, update the first one's resource). Stacks whose account or region
 * is a deploy-time value may deploy to the same place, so they count as the same.
 */
export function requireUniqueName(construct: IConstruct, what: string, nameOf: (c: IConstruct) => string | undefined): void {
  construct.node.addValidation({
    validate: () => {
      const name = nameOf(construct);
      if (name === undefined || Token.isUnresolved(name)) return [];
      const here = Stack.of(construct);
      const clash = construct.node.root.node.findAll().find((other) => other !== construct && nameOf(other) === name
        && sameEnvironment(here, Stack.of(other)));
      return clash ? [`${what} '${name}' is also the name of ${clash.node.path}, in the same account and region; give each one its own name`] : [];
    },
  });
}

function sameEnvironment(a: Stack, b: Stack): boolean {
  const same = (x: string, y: string) => Token.isUnresolved(x) || Token.isUnresolved(y) || x === y;
  return same(a.account, b.account) && same(a.region, b.region);
}
