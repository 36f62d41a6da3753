import { Environment, RemovalPolicy } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DataLakeProps, IDataLake } from './lake/data-lake';
import { MlPipelineProps } from './ml-pipeline-props';

/**
 * Properties of a `ModelFleet`: what its models share.
 */
export interface ModelFleetProps {
  /**
   * The account and region of every stack of the fleet.
   *
   * @default - the stacks are environment-agnostic (the CLI's account and region at deploy time)
   */
  readonly env?: Environment;

  /**
   * The data lake every model keeps its data, artifacts and capture in, each under its own
   * prefixes (`<modelName>/` in the raw zone, `<modelName>-endpoint/` in the capture zone).
   *
   * @default - a new `DataLake` in the fleet's shared stack, made with `dataLakeProps`
   */
  readonly dataLake?: IDataLake;

  /**
   * Properties of the data lake the fleet creates; only without `dataLake`.
   *
   * @default - `DataLake`'s defaults
   */
  readonly dataLakeProps?: DataLakeProps;

  /**
   * The one topic that every model's failed runs, failed promotions and drift and quality
   * alarms notify. It must already let CloudWatch alarms and EventBridge rules of this account
   * publish (in its policy and its key's): models cannot add statements to it.
   *
   * @default - a new topic in the shared stack, encrypted with its own KMS key, that admits
   * this account's alarms and rules
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * E-mail addresses subscribed to the fleet's new topic (each confirms its subscription);
   * only without `notificationTopic`.
   *
   * @default - none
   */
  readonly notificationEmails?: string[];

  /**
   * Name of the fleet's overview dashboard. CloudWatch dashboards are global to the account,
   * unlike the fleet's stacks, topic and exports (per region): a name of your own, here or in a
   * model's `dashboardName`, needs the region in it if the fleet deploys to more than one region
   * of the account.
   *
   * @default - the shared stack's name without `-Shared` and the region: `<stage>-<fleet id>-<region>`, or `<fleet id>-<region>`
   */
  readonly dashboardName?: string;

  /**
   * What happens to the lake (its buckets, key and Glue database) and the topic's key when the
   * shared stack is deleted; a `RemovalPolicy.DESTROY` sandbox leaves nothing (the lake's
   * buckets still need to be empty, see `DataLakeProps.autoDeleteObjects`).
   *
   * @default - the lake is kept (`RETAIN_ON_UPDATE_OR_DELETE`: its data outlives the fleet); the
   * topic's key, which encrypts only messages in flight, is deleted with the topic
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Properties of one model of a `ModelFleet`: what differs per model. The model lives in its own
 * stack, `<fleet id>-<id>`. In a fleet, `dataLake` and `notificationTopic` default to the fleet's
 * (not to new ones); give them only for a model that keeps its data or notices elsewhere.
 */
export interface FleetModelProps extends MlPipelineProps {
  /**
   * Description of the model's stack.
   *
   * @default - 'cdk-mlops model <modelName> of fleet <fleet id>'
   */
  readonly stackDescription?: string;

  /**
   * Protect the model's stack from deletion.
   *
   * @default false
   */
  readonly terminationProtection?: boolean;
}
