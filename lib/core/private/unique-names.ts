import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * The constructs of each app that asked for a unique name, in the order they were created: a
 * construct is compared with these only, not with every construct of the app (a fleet of 100
 * models has ~30,000), so the check costs O(named constructs) per construct, not O(app).
 */
const NAMED = new WeakMap<IConstruct, IConstruct[]>();

/**
 * Fails synth when another construct of the same kind in the app has the same name in the same
 * account and region: SageMaker and Step Functions names are unique there, so the second stack's
 * deploy would fail (or, worse, update the first one's resource). Stacks whose account or region
 * is a deploy-time value may deploy to the same place, so they count as the same.
 *
 * Call it from the constructor of the class that `nameOf` recognizes: every instance of that class
 * then registers here, which is what lets the check skip the rest of the app.
 */
export function requireUniqueName(construct: IConstruct, what: string, nameOf: (c: IConstruct) => string | undefined,
  options: { readonly ignoreCase?: boolean } = {}): void {
  // Compared as the service compares them; reported as the user wrote them.
  const key = (c: IConstruct) => {
    const name = nameOf(c);
    return name !== undefined && options.ignoreCase ? name.toLowerCase() : name;
  };
  const root = construct.node.root;
  const named = NAMED.get(root) ?? [];
  NAMED.set(root, named);
  named.push(construct);
  construct.node.addValidation({
    validate: () => {
      const name = nameOf(construct);
      if (name === undefined || Token.isUnresolved(name)) return [];
      const here = Stack.of(construct);
      const clashes = named.filter((other) => other !== construct && key(other) === key(construct)
        && inTree(root, other) && sameEnvironment(here, Stack.of(other)));
      if (clashes.length === 0) return [];
      // The first in the app's tree order names the clash, whatever the order of creation.
      const clash = clashes.length === 1 ? clashes[0] : root.node.findAll().find((c) => clashes.includes(c))!;
      const other = nameOf(clash);
      const asWritten = other === name ? '' : ` ('${other}': the service compares these names without their case)`;
      return [`${what} '${name}' is also the name of ${clash.node.path}${asWritten}, in the same account and region; give each one its own name`];
    },
  });
}

/** False for a construct removed from the app (node.tryRemoveChild) after it registered. */
function inTree(root: IConstruct, construct: IConstruct): boolean {
  for (let c: IConstruct = construct; c !== root; c = c.node.scope!) {
    if (!c.node.scope || c.node.scope.node.tryFindChild(c.node.id) !== c) return false;
  }
  return true;
}

function sameEnvironment(a: Stack, b: Stack): boolean {
  const same = (x: string, y: string) => Token.isUnresolved(x) || Token.isUnresolved(y) || x === y;
  return same(a.account, b.account) && same(a.region, b.region);
}
