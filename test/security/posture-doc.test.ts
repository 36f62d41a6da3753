/** docs/SECURITY-POSTURE.md lists exactly the cdk-nag acknowledgements the reference stack makes. */
import * as fs from 'fs';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { acknowledgements, POSTURE_PAGE, referenceStack, renderPosturePage } from '../../scripts/security-posture';

describe('security posture page', () => {
  // One reference stack for the tests that read it (built, not synthesized).
  let stack: Stack;
  beforeAll(() => {
    stack = referenceStack();
  });

  test('reads every acknowledgement recorded on the tree, with its reason and construct', () => {
    const stack = new Stack(new App(), 'S');
    const child = new Stack(stack, 'Child');
    Validations.of(child).acknowledge({ id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray has no resource ARNs.' });
    expect(acknowledgements(stack)).toEqual([{ rule: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray has no resource ARNs.', path: 'S/Child' }]);
  });

  test('is current: regenerate it with `npx tsx scripts/security-posture.ts` when acknowledgements change', () => {
    const page = renderPosturePage(stack);
    expect(page).toMatch(/\| AwsSolutions-IAM5 \| \d+ \|/);
    const current = fs.readFileSync(POSTURE_PAGE, 'utf8') === page;
    expect({ current, fix: current ? '' : 'npx tsx scripts/security-posture.ts' }).toEqual({ current: true, fix: '' });
  });

  // The page says so of the reference stack; an acknowledgement on a stack (or an app) would hide
  // the rule's findings for everything under it, and a bare IAM5 would accept any new wildcard.
  test('keeps its promises: no acknowledgement on a stack, and every IAM5 one names its action or resource', () => {
    const root = stack.node.root;
    const all = acknowledgements(root);
    const byPath = new Map<string, IConstruct>(root.node.findAll().map((c) => [c.node.path, c]));
    expect(all.length).toBeGreaterThan(100);
    expect(all.filter((a) => Stack.isStack(byPath.get(a.path)) || byPath.get(a.path) === root).map((a) => `${a.rule} at ${a.path}`)).toEqual([]);
    expect(all.filter((a) => a.rule.startsWith('AwsSolutions::AwsSolutions-IAM5') && !/^AwsSolutions::AwsSolutions-IAM5\[(Action|Resource)::.+\]$/.test(a.rule))
      .map((a) => `${a.rule} at ${a.path}`)).toEqual([]);
  });
});
