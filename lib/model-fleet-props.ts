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
   * Model stacks import its bucket names and key ARN (CloudFormation exports of its stack, which a
   * lake of a stack in this app exports as long as the fleet uses it, whatever models the app
   * holds), and CloudFormation refuses to remove or change an export that a deployed stack imports: to switch
   * a deployed fleet from its own lake to this one, deploy the model stacks alone first
   * (`cdk deploy --exclusively <fleet id>-<model id> ...`), then the shared stack.
   *
   * @default - a new `DataLake` in the fleet's shared stack, made with `dataLakeProps`, whose
   * bucket names and key ARN the shared stack always exports (six exports with the topic's key),
   * whatever models the app holds: removing the last model that imports one (or giving it a
   * topic of its own) never removes an export that its deployed stack still imports
   */
  readonly dataLake?: IDataLake;

  /**
   * Properties of the data lake the fleet creates; only without `dataLake`. A change that
   * replaces a bucket or the key (`bucketNamePrefix`, `encryptionKey`) changes an export that
   * the deployed model stacks import, which CloudFormation refuses: the shared stack's update
   * fails and rolls back.
   *
   * @default - `DataLake`'s defaults
   */
  readonly dataLakeProps?: DataLakeProps;

  /**
   * The one topic that every model's failed runs, failed promotions and drift and quality
   * alarms notify. It must already let CloudWatch alarms and EventBridge rules of this account
   * publish (in its policy and its key's): models cannot add statements to it. A topic of a stack
   * in this app exports its ARN and its key's as long as the fleet uses it. To switch a
   * deployed fleet from its own topic to this one, deploy the model stacks before the shared
   * stack (see `dataLake`): they import the fleet topic's key ARN until then.
   *
   * @default - a new topic in the shared stack, encrypted with its own KMS key, that admits
   * this account's alarms and rules; the shared stack always exports the key's ARN
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
   * of the account. Up to 255 letters, digits, hyphens and underscores.
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
