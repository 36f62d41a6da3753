import { App, Aws, CfnOutput, Stack } from 'aws-cdk-lib';
import { FactName, RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { templateOf, testApp, testStack } from '../helpers/app';
import {
  DLC_ACCOUNTS, XGBOOST_SKLEARN_ACCOUNTS, imageRegistryMapping, regionalAccount,
} from '../../lib/core/private/image-registries';

/** An environment-agnostic stack: its region is `AWS::Region` at deploy time. */
function agnosticStack(): Stack {
  return new Stack(testApp(), 'AgnosticStack');
}

function stackIn(region: string): Stack {
  return new Stack(testApp(), 'RegionalStack', { env: { account: '123456789012', region } });
}

/** `<account>.dkr.ecr.<region>.<urlSuffix>/<repository>:<tag>`, as a construct would build it. */
function imageUri(stack: Stack, account: string, repository: string, tag: string): string {
  return `${account}.dkr.ecr.${stack.region}.${stack.urlSuffix}/${repository}:${tag}`;
}

function mappingsOf(stack: Stack): Record<string, Record<string, { account: string }>> {
  return templateOf(stack).toJSON().Mappings ?? {};
}

describe('account tables', () => {
  test.each([
    ['XGBOOST_SKLEARN_ACCOUNTS', XGBOOST_SKLEARN_ACCOUNTS],
    ['DLC_ACCOUNTS', DLC_ACCOUNTS],
  ])('%s is sorted by region and holds 12-digit accounts', (_name, table) => {
    const regions = Object.keys(table);
    expect(regions).toEqual([...regions].sort());
    for (const account of Object.values(table)) expect(account).toMatch(/^\d{12}$/);
  });

  test('DLCs are in 763104351884 in us-east-1, and in their own account in an opt-in region', () => {
    expect(DLC_ACCOUNTS['us-east-1']).toBe('763104351884');
    expect(DLC_ACCOUNTS['eu-south-1']).toBe('692866216735');
    expect(DLC_ACCOUNTS['me-south-1']).toBe('217643126080');
  });

  test('no DLC account disagrees with aws-cdk-lib\'s DLC_REPOSITORY_ACCOUNT fact where both have one', () => {
    const facts = RegionInfo.regionMap(FactName.DLC_REPOSITORY_ACCOUNT);
    for (const [region, account] of Object.entries(DLC_ACCOUNTS)) {
      if (facts[region] !== undefined) expect([region, account]).toEqual([region, facts[region]]);
    }
  });

  test('the XGBoost/scikit-learn accounts are not the legacy `xgboost:1` ones', () => {
    expect(XGBOOST_SKLEARN_ACCOUNTS['us-east-1']).toBe('683313688378');
    expect(XGBOOST_SKLEARN_ACCOUNTS['us-east-1']).not.toBe('811284229777');
  });
});

describe('regionalAccount on an environment-agnostic stack', () => {
  const stack = agnosticStack();
  const account = regionalAccount(stack, 'xgboost-sklearn');
  new CfnOutput(stack, 'XgboostImage', { value: imageUri(stack, account, 'sagemaker-xgboost', '1.7-1') });
  const mappings = mappingsOf(stack);

  test('adds one Mappings entry, keyed by region with attribute `account`', () => {
    expect(Object.keys(mappings)).toHaveLength(1);
    const [mapping] = Object.values(mappings);
    expect(mapping['us-east-1']).toEqual({ account: XGBOOST_SKLEARN_ACCOUNTS['us-east-1'] });
    expect(Object.keys(mapping)).toEqual(Object.keys(XGBOOST_SKLEARN_ACCOUNTS));
  });

  test('the image URI finds its account in the mapping by AWS::Region', () => {
    const [mappingId] = Object.keys(mappings);
    const value = templateOf(stack).toJSON().Outputs.XgboostImage.Value;
    expect(value).toEqual({
      'Fn::Join': ['', [
        { 'Fn::FindInMap': [mappingId, { Ref: 'AWS::Region' }, 'account'] },
        '.dkr.ecr.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/sagemaker-xgboost:1.7-1',
      ]],
    });
  });

  test('two calls share one mapping per kind; the DLC table gets its own', () => {
    const again = agnosticStack();
    const first = regionalAccount(again, 'dlc');
    const second = regionalAccount(again, 'dlc');
    regionalAccount(again, 'xgboost-sklearn');
    expect(again.resolve(first)).toEqual(again.resolve(second));
    const found = mappingsOf(again);
    expect(Object.keys(found)).toHaveLength(2);
    const dlc = Object.values(found).find((m) => m['us-east-1'].account === '763104351884');
    expect(dlc?.['eu-south-1']).toEqual({ account: '692866216735' });
  });
});

describe('imageRegistryMapping', () => {
  test('is idempotent by id and lives on the Stack, whatever the scope', () => {
    const stack = agnosticStack();
    const deep = new Construct(new Construct(stack, 'Outer'), 'Inner');
    const a = imageRegistryMapping(deep, 'Registry', { 'us-east-1': '111111111111' });
    const b = imageRegistryMapping(stack, 'Registry', { 'us-east-1': '222222222222' });
    expect(b).toBe(a);
    expect(a.node.scope).toBe(stack);
    a.findInMap(Aws.REGION, 'account');
    expect(Object.values(mappingsOf(stack))).toEqual([{ 'us-east-1': { account: '111111111111' } }]);
  });

  test('refuses an id that another kind of construct already holds', () => {
    const stack = agnosticStack();
    new CfnOutput(stack, 'Taken', { value: 'x' });
    expect(() => imageRegistryMapping(stack, 'Taken', {})).toThrow(/'Taken' that is not a CfnMapping/);
  });
});

describe('regionalAccount on a stack with a concrete region', () => {
  test('returns the literal account and adds no mapping', () => {
    const stack = testStack();
    const account = regionalAccount(stack, 'xgboost-sklearn');
    expect(account).toBe('683313688378');
    new CfnOutput(stack, 'XgboostImage', { value: imageUri(stack, account, 'sagemaker-xgboost', '1.7-1') });
    expect(mappingsOf(stack)).toEqual({});
    expect(templateOf(stack).toJSON().Outputs.XgboostImage.Value).toEqual({
      'Fn::Join': ['', ['683313688378.dkr.ecr.us-east-1.', { Ref: 'AWS::URLSuffix' }, '/sagemaker-xgboost:1.7-1']],
    });
  });

  test('uses the DLC account of an opt-in region', () => {
    expect(regionalAccount(stackIn('eu-south-1'), 'dlc')).toBe('692866216735');
    expect(regionalAccount(stackIn('us-east-1'), 'dlc')).toBe('763104351884');
  });

  test('leaves the URL suffix to AWS::URLSuffix, so China regions get amazonaws.com.cn', () => {
    const stack = stackIn('cn-north-1');
    expect(stack.resolve(imageUri(stack, regionalAccount(stack, 'dlc'), 'pytorch-training', 't'))).toEqual({
      'Fn::Join': ['', ['727897471807.dkr.ecr.cn-north-1.', { Ref: 'AWS::URLSuffix' }, '/pytorch-training:t']],
    });
  });

  test('throws, naming the region and the way out, when the region is not in the table', () => {
    const stack = stackIn('ap-southeast-7');
    expect(() => regionalAccount(stack, 'xgboost-sklearn')).toThrow(
      /No known ECR registry account for SageMaker XGBoost and scikit-learn images .* in region 'ap-southeast-7'\. Give the image with an explicit ECR repository/,
    );
    expect(regionalAccount(stack, 'dlc')).toBe('590183813437');
  });

  test('throws for a made-up region, for both kinds', () => {
    const stack = new Stack(new App(), 'Mars', { env: { region: 'mars-north-1' } });
    expect(() => regionalAccount(stack, 'dlc')).toThrow(/'mars-north-1'/);
    expect(() => regionalAccount(stack, 'xgboost-sklearn')).toThrow(/known regions: af-south-1, /);
  });
});
