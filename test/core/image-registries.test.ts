import * as fs from 'fs';
import * as path from 'path';
import { App, Aws, CfnOutput, Stack } from 'aws-cdk-lib';
import { FactName, RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { ROOT, templateOf, testApp, testStack } from '../helpers/app';
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

describe('account tables agree with the SageMaker Python SDK for every region (test/data/sagemaker-image-uris)', () => {
  const SDK = path.join(ROOT, 'test', 'data', 'sagemaker-image-uris');
  /** Regions the library leaves out on purpose: the isolated (ISO) partitions. */
  const ISOLATED = /^(us-iso[a-z]*-|eu-isoe-|eusc-)/;

  /** region -> the accounts the SDK lists for `repositories`, over every version and scope of one config file. */
  function sdkAccounts(file: string, repositories: RegExp): Record<string, string[]> {
    const accounts: Record<string, Set<string>> = {};
    const walk = (node: unknown): void => {
      if (node === null || typeof node !== 'object') return;
      const entry = node as { registries?: Record<string, string>; repository?: string };
      if (entry.registries && entry.repository && repositories.test(entry.repository)) {
        for (const [region, account] of Object.entries(entry.registries)) (accounts[region] ??= new Set()).add(account);
      }
      Object.values(node).forEach(walk);
    };
    walk(JSON.parse(fs.readFileSync(path.join(SDK, file), 'utf8')));
    return Object.fromEntries(Object.entries(accounts).map(([region, set]) => [region, [...set].sort()]));
  }

  /** Every difference between the library's table and the SDK's, as readable lines. */
  function differences(table: Record<string, string>, sdk: Record<string, string[]>, newerThanSnapshot: string[] = []): string[] {
    const problems: string[] = [];
    for (const [region, accounts] of Object.entries(sdk)) {
      if (ISOLATED.test(region)) continue;
      if (table[region] === undefined) problems.push(`${region}: missing (SDK: ${accounts.join(', ')})`);
      else if (accounts.length !== 1 || accounts[0] !== table[region]) problems.push(`${region}: ${table[region]} (SDK: ${accounts.join(', ')})`);
    }
    for (const region of Object.keys(table)) {
      if (!sdk[region] && !newerThanSnapshot.includes(region)) problems.push(`${region}: not in the SDK's table`);
    }
    return problems;
  }

  test.each([
    ['xgboost.json', /^sagemaker-xgboost$/],
    ['sklearn.json', /^sagemaker-scikit-learn$/],
  ])('XGBOOST_SKLEARN_ACCOUNTS matches %s', (file, repositories) => {
    const sdk = sdkAccounts(file, repositories);
    expect(Object.keys(sdk).length).toBeGreaterThan(30);
    expect(differences(XGBOOST_SKLEARN_ACCOUNTS, sdk)).toEqual([]);
  });

  test('DLC_ACCOUNTS matches pytorch.json (pytorch-training, pytorch-inference) for every region', () => {
    const sdk = sdkAccounts('pytorch.json', /^pytorch-(training|inference)$/);
    expect(Object.keys(sdk).length).toBeGreaterThan(35);
    expect(differences(DLC_ACCOUNTS, sdk, ['me-west-1'])).toEqual([]);
  });

  test('DLC_ACCOUNTS agrees with huggingface.json wherever the SDK lists a Hugging Face PyTorch image', () => {
    const sdk = sdkAccounts('huggingface.json', /^huggingface-pytorch-/);
    const listed = Object.fromEntries(Object.entries(DLC_ACCOUNTS).filter(([region]) => sdk[region]));
    expect(Object.keys(listed).length).toBeGreaterThan(25);
    expect(differences(listed, sdk)).toEqual([]);
  });

  test('the comparison finds a wrong account, a missing region and an extra one', () => {
    const sdk = { 'us-east-1': ['763104351884'], 'eu-west-1': ['763104351884'], 'us-iso-east-1': ['886529160074'] };
    expect(differences({ 'us-east-1': '111111111111', 'xx-east-1': '763104351884' }, sdk)).toEqual([
      'us-east-1: 111111111111 (SDK: 763104351884)',
      'eu-west-1: missing (SDK: 763104351884)',
      'xx-east-1: not in the SDK\'s table',
    ]);
  });
});
