/** docs/SECURITY-POSTURE.md lists exactly the cdk-nag acknowledgements the reference stack makes. */
import * as fs from 'fs';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { acknowledgements, POSTURE_PAGE, renderPosturePage } from '../../scripts/security-posture';

describe('security posture page', () => {
  test('reads every acknowledgement recorded on the tree, with its reason and construct', () => {
    const stack = new Stack(new App(), 'S');
    const child = new Stack(stack, 'Child');
    Validations.of(child).acknowledge({ id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray has no resource ARNs.' });
    expect(acknowledgements(stack)).toEqual([{ rule: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray has no resource ARNs.', path: 'S/Child' }]);
  });

  test('is current: regenerate it with `npx tsx scripts/security-posture.ts` when acknowledgements change', () => {
    const page = renderPosturePage();
    expect(page).toMatch(/\| AwsSolutions-IAM5 \| \d+ \|/);
    const current = fs.readFileSync(POSTURE_PAGE, 'utf8') === page;
    expect({ current, fix: current ? '' : 'npx tsx scripts/security-posture.ts' }).toEqual({ current: true, fix: '' });
  });
});
