import { Aws, CfnMapping, CfnRule, Fn, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { throwInvalid } from './errors';

/**
 * Region-correct registries for AWS-owned SageMaker container images.
 *
 * An image URI is `<account>.dkr.ecr.<region>.<urlSuffix>/<repository>:<tag>`. The account that
 * owns the repository differs by region (and by partition), so one template that deploys to any
 * region needs a `CfnMapping` from region to account and `Fn::FindInMap` on `AWS::Region`. Build
 * the URI at the call site with the stack's `region` and `urlSuffix` (`Aws.URL_SUFFIX` when the
 * stack is region-agnostic) so that `amazonaws.com.cn` is used in the China regions.
 *
 * ## SageMaker XGBoost and scikit-learn (`XGBOOST_SKLEARN_ACCOUNTS`)
 *
 * Repositories `sagemaker-xgboost` and `sagemaker-scikit-learn`. Both repositories have the SAME
 * account in every region listed by the SageMaker Python SDK (checked entry by entry). This is
 * NOT the account of the legacy `xgboost` repository (`xgboost:1`, XGBoost 0.72, e.g.
 * 811284229777 in us-east-1), which this table does not cover.
 *
 * Sources (aws/sagemaker-python-sdk; the index gives commits, not dates; read 2026-11-27):
 * - `sagemaker-core/src/sagemaker/core/image_uri_config/xgboost.json` @ 2ef567ca3e8049fb05ff7d140b291be980c00067
 * - `sagemaker-core/src/sagemaker/core/image_uri_config/sklearn.json` @ 26a9d211ab775a3c08bc75c2d5174e5e7b37762b
 * - cross-checked with the older `src/sagemaker/image_uri_config/xgboost.json` @ 02ed3cbfd8f1c519f8a829b545bb78a47a538546
 *   (same accounts; its last inference version is 2.1-0, a version the sagemaker-core file no longer lists)
 *
 * XGBoost versions (repository `sagemaker-xgboost`; the SDK's tag is the version itself, e.g.
 * `sagemaker-xgboost:1.7-1`, since these versions carry no processor/python suffix in the config):
 * - the sagemaker-core xgboost.json lists, for `training` and `inference`: 0.90-1, 0.90-2, 1.0-1,
 *   1.2-1, 1.2-2, 1.3-1, 1.5-1, 1.7-1, 3.0-5, 3.2-0 (0.90-x and 1.0-1 are marked cpu/py3 only);
 *   `inference_graviton`: 1.3-1, 1.5-1.
 * - AWS docs (sagemaker/latest/dg/xgboost.html) list 1.2-1, 1.2-2, 1.3-1, 1.5-1, 1.7-1 as supported
 *   and say the current release is based on XGBoost 1.0, 1.2, 1.3, 1.5, 1.7 and 3.0; 0.90 is
 *   deprecated; 1.7-1 does not support P2 GPU instances.
 * - GPU (AWS ML blog "Amazon SageMaker XGBoost now offers fully distributed GPU training"):
 *   1.2-2 and later train on one or more single-GPU instances (`tree_method=gpu_hist`);
 *   1.5-1 and later use all GPUs of multi-GPU instances (fully distributed GPU training).
 *
 * scikit-learn versions (repository `sagemaker-scikit-learn`, CPU only, py3), sagemaker-core sklearn.json:
 * - `training`: 0.20.0, 0.23-1, 1.0-1, 1.2-1, 1.4-2, 1.4-2-py312
 * - `inference`: 0.20.0, 0.23-1, 1.0-1, 1.2-1, 1.4-2-py312; `inference_graviton`: 1.0-1
 *
 * Left out (not commercial, China or GovCloud): us-iso-east-1, us-isob-east-1, us-isof-east-1,
 * us-isof-south-1. Regions the SDK does not list (e.g. ap-east-2, ap-southeast-5/6/7,
 * mx-central-1) are not in the table: a concrete stack there fails at synth time.
 */
// Both tables are sorted by region (a test checks it): the mapping and the messages list them in that order.
export const XGBOOST_SKLEARN_ACCOUNTS: Record<string, string> = {
  'af-south-1': '510948584623',
  'ap-east-1': '651117190479',
  'ap-northeast-1': '354813040037',
  'ap-northeast-2': '366743142698',
  'ap-northeast-3': '867004704886',
  'ap-south-1': '720646828776',
  'ap-south-2': '628508329040',
  'ap-southeast-1': '121021644041',
  'ap-southeast-2': '783357654285',
  'ap-southeast-3': '951798379941',
  'ap-southeast-4': '106583098589',
  'ca-central-1': '341280168497',
  'ca-west-1': '190319476487',
  'cn-north-1': '450853457545',
  'cn-northwest-1': '451049120500',
  'eu-central-1': '492215442770',
  'eu-central-2': '680994064768',
  'eu-north-1': '662702820516',
  'eu-south-1': '978288397137',
  'eu-south-2': '104374241257',
  'eu-west-1': '141502667606',
  'eu-west-2': '764974769150',
  'eu-west-3': '659782779980',
  'il-central-1': '898809789911',
  'me-central-1': '272398656194',
  'me-south-1': '801668240914',
  'sa-east-1': '737474898029',
  'us-east-1': '683313688378',
  'us-east-2': '257758044811',
  'us-gov-east-1': '237065988967',
  'us-gov-west-1': '414596584902',
  'us-west-1': '746614075791',
  'us-west-2': '246618743249',
};

/**
 * ## AWS Deep Learning Containers (`DLC_ACCOUNTS`)
 *
 * Repositories `pytorch-training`, `pytorch-inference`, `huggingface-pytorch-training`,
 * `huggingface-pytorch-inference` (and the other DLCs): 763104351884 in most regions, a
 * region-specific account in opt-in regions, China and GovCloud.
 *
 * Source: aws/sagemaker-python-sdk `sagemaker-core/src/sagemaker/core/image_uri_config/pytorch.json`
 * @ 04142370c66a6f6b7c540e73e75ac019a26580da, `training` version 2.10.0 (the widest region list;
 * read 2026-11-27). The same accounts appear in the entries read for `pytorch-inference` 1.2.0-1.5.0
 * and `pytorch-training` 2.5.1-2.10.0 (the pre-1.2 `sagemaker-pytorch` repository lives in other
 * accounts) and in `sagemaker-core/src/sagemaker/core/image_uri_config/huggingface.json`
 * @ fef4571f7aa6265c187b3360a316e0f7d817d07a. The region table of aws/deep-learning-containers
 * `available_images.md` agrees too, except that it shows 763104351884 for ap-east-2 (Taipei),
 * where the SDK and aws-cdk-lib both have 975050140332 (kept here).
 *
 * Per-repository availability is narrower than this table: e.g. the SDK lists
 * `huggingface-pytorch-training` (transformers 5.3.0 / PyTorch 2.9.0) in neither ap-east-2,
 * ap-south-2, ap-southeast-4/5/6/7, eu-central-2, eu-south-2, me-west-1 nor mx-central-1, and
 * `pytorch-training` lists me-west-1 only from 2.8.0. A right account does not prove a tag exists.
 *
 * Example valid PyTorch DLC tags for SageMaker, from aws/deep-learning-containers `available_images.md`
 * ("SageMaker Framework Containers" and "Prior SageMaker Framework Container Versions"):
 * - training GPU: `pytorch-training:2.7.1-gpu-py312-cu128-ubuntu22.04-sagemaker`,
 *   `2.6.0-gpu-py312-cu126-ubuntu22.04-sagemaker`, `2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker`
 * - training CPU: `pytorch-training:2.7.1-cpu-py312-ubuntu22.04-sagemaker`
 * - inference: `pytorch-inference:2.6.0-gpu-py312-cu124-ubuntu22.04-sagemaker`,
 *   `2.6.0-cpu-py312-ubuntu22.04-sagemaker`, `2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker`
 * - Hugging Face: `huggingface-pytorch-training:2.1.0-transformers4.36.0-gpu-py310-cu121-ubuntu20.04`,
 *   `huggingface-pytorch-inference:2.1.0-transformers4.37.0-gpu-py310-cu118-ubuntu20.04`
 * The SDK's pytorch.json lists `training` versions up to 2.10.0 (py313) and `inference` aliases up to
 * 2.6 -> 2.6.0; its huggingface.json pairs transformers 4.49.0 / PyTorch 2.5.1 / py311 / cu124-ubuntu22.04,
 * 4.55.0 / 2.7.1 / py312 / cu128-ubuntu22.04, 4.56.2 / 2.8.0 / py312 / cu129-ubuntu22.04 and
 * 5.3.0 / 2.9.0 / py312 / cu130-ubuntu22.04 for training.
 *
 * Compared with aws-cdk-lib 2.276.0's `FactName.DLC_REPOSITORY_ACCOUNT`: no account differs
 * where both have one; CDK has no fact for af-south-1, ap-northeast-3, ap-southeast-5,
 * ap-southeast-7, ca-west-1, il-central-1, mx-central-1, us-gov-east-1, us-gov-west-1 (nor the
 * ISO regions), so `RegionInfo.regionMap()` cannot replace this table.
 *
 * Left out (not commercial, China or GovCloud): eu-isoe-west-1, eusc-de-east-1, us-iso-east-1,
 * us-isob-east-1, us-isof-east-1, us-isof-south-1.
 */
export const DLC_ACCOUNTS: Record<string, string> = {
  'af-south-1': '626614931356',
  'ap-east-1': '871362719292',
  'ap-east-2': '975050140332',
  'ap-northeast-1': '763104351884',
  'ap-northeast-2': '763104351884',
  'ap-northeast-3': '364406365360',
  'ap-south-1': '763104351884',
  'ap-south-2': '772153158452',
  'ap-southeast-1': '763104351884',
  'ap-southeast-2': '763104351884',
  'ap-southeast-3': '907027046896',
  'ap-southeast-4': '457447274322',
  'ap-southeast-5': '550225433462',
  'ap-southeast-6': '633930458069',
  'ap-southeast-7': '590183813437',
  'ca-central-1': '763104351884',
  'ca-west-1': '204538143572',
  'cn-north-1': '727897471807',
  'cn-northwest-1': '727897471807',
  'eu-central-1': '763104351884',
  'eu-central-2': '380420809688',
  'eu-north-1': '763104351884',
  'eu-south-1': '692866216735',
  'eu-south-2': '503227376785',
  'eu-west-1': '763104351884',
  'eu-west-2': '763104351884',
  'eu-west-3': '763104351884',
  'il-central-1': '780543022126',
  'me-central-1': '914824155844',
  'me-south-1': '217643126080',
  'me-west-1': '124382933778',
  'mx-central-1': '637423239942',
  'sa-east-1': '763104351884',
  'us-east-1': '763104351884',
  'us-east-2': '763104351884',
  'us-gov-east-1': '446045086412',
  'us-gov-west-1': '442386744353',
  'us-west-1': '763104351884',
  'us-west-2': '763104351884',
};

/** Which AWS-owned registry an image lives in. */
export type RegistryKind = 'xgboost-sklearn' | 'dlc';

const REGISTRIES: Record<RegistryKind, { id: string; table: Record<string, string>; what: string }> = {
  'xgboost-sklearn': {
    id: 'SageMakerXgboostSklearnRegistryAccounts',
    table: XGBOOST_SKLEARN_ACCOUNTS,
    what: 'SageMaker XGBoost and scikit-learn images (sagemaker-xgboost, sagemaker-scikit-learn)',
  },
  'dlc': {
    id: 'DeepLearningContainersRegistryAccounts',
    table: DLC_ACCOUNTS,
    what: 'AWS Deep Learning Containers (pytorch-training, pytorch-inference, huggingface-pytorch-*)',
  },
};

/**
 * The `CfnMapping` (region -> `account`) for `table` on the stack of `scope`, created on first use
 * with `id` as a direct child of the Stack; later calls with the same `id` return that mapping.
 */
export function imageRegistryMapping(scope: Construct, id: string, table: Record<string, string>): CfnMapping {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(id);
  if (existing !== undefined) {
    if (existing instanceof CfnMapping) return existing;
    throwInvalid(scope, 'ImageRegistryMappingIdTaken',
      `The stack already has a construct '${id}' that is not a CfnMapping; cannot use it as the image registry mapping`);
  }
  const mapping: Record<string, Record<string, string>> = {};
  for (const region of Object.keys(table)) mapping[region] = { account: table[region] };
  return new CfnMapping(stack, id, { mapping, lazy: true });
}

/**
 * The account that owns the `kind` image repositories in the stack's region: a literal when the
 * stack's region is known at synth time, otherwise `Fn::FindInMap` on `AWS::Region` in a mapping
 * that the stack holds once. Throws when the concrete region is not in the table.
 */
export function regionalAccount(scope: Construct, kind: RegistryKind): string {
  const { id, table, what } = REGISTRIES[kind];
  const region = Stack.of(scope).region;
  if (!Token.isUnresolved(region)) {
    if (Object.hasOwn(table, region)) return table[region];
    throwInvalid(scope, 'ImageRegistryUnknownRegion',
      `No known ECR registry account for ${what} in region '${region}'. `
      + 'Give the image with an explicit ECR repository (image URI) instead; '
      + `known regions: ${Object.keys(table).join(', ')}`);
  }
  requireListedRegion(scope, `${id}Region`, table, what);
  return imageRegistryMapping(scope, id, table).findInMap(Aws.REGION, 'account');
}

/**
 * A template rule, once per stack, that refuses to deploy an environment-agnostic stack to a
 * region without a known registry: CloudFormation then names the regions instead of failing on
 * a missing mapping key.
 */
function requireListedRegion(scope: Construct, id: string, table: Record<string, string>, what: string): void {
  const stack = Stack.of(scope);
  if (stack.node.tryFindChild(id)) return;
  const regions = Object.keys(table);
  new CfnRule(stack, id, {
    assertions: [{
      assert: Fn.conditionContains(regions, Aws.REGION),
      assertDescription: `${what} have no known registry in this region; deploy to one of ${regions.join(', ')}, or use an image in your own ECR repository`,
    }],
  });
}
