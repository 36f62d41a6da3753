import { Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { throwUnscoped } from '../core/private/errors';
import { DataZone, IDataLake } from '../lake/data-lake';

/**
 * An S3 key prefix where an endpoint reads or writes inference data (captured requests,
 * asynchronous requests and responses, model artifacts), with the KMS key that encrypts it.
 */
export class InferenceDataLocation {
  /**
   * A prefix in one zone of a data lake, encrypted with the lake's key.
   *
   * @param keyPrefix the prefix, ending in '/', e.g. 'endpoints/churn/'
   * @param zone the zone (default DataZone.CAPTURE)
   */
  public static fromDataLake(lake: IDataLake, keyPrefix: string, zone: DataZone = DataZone.CAPTURE): InferenceDataLocation {
    return new InferenceDataLocation(lake.bucketFor(zone), keyPrefix, lake.encryptionKey);
  }

  /**
   * A prefix in any bucket.
   *
   * @param keyPrefix the prefix, ending in '/', e.g. 'endpoints/churn/'
   * @param encryptionKey the key that encrypts the objects (default: the bucket's key, if it has one)
   */
  public static fromBucket(bucket: s3.IBucket, keyPrefix: string, encryptionKey?: kms.IKey): InferenceDataLocation {
    return new InferenceDataLocation(bucket, keyPrefix, encryptionKey ?? bucket.encryptionKey);
  }

  /** The bucket. */
  public readonly bucket: s3.IBucket;
  /** The key prefix, ending in '/'. */
  public readonly keyPrefix: string;
  /** The KMS key that encrypts the objects, when there is one. */
  public readonly encryptionKey?: kms.IKey;

  private constructor(bucket: s3.IBucket, keyPrefix: string, encryptionKey?: kms.IKey) {
    if (!Token.isUnresolved(keyPrefix) && (!/^[^/*][^*]*\/$/.test(keyPrefix))) {
      throwUnscoped('InferenceDataLocationInvalid',
        `'keyPrefix' ('${keyPrefix}') must be a key prefix ending in '/', without a leading '/' or wildcards; use e.g. 'endpoints/churn/'`);
    }
    this.bucket = bucket;
    this.keyPrefix = keyPrefix;
    this.encryptionKey = encryptionKey;
  }

  /**
   * The S3 URI of the prefix, or of `path` under it.
   *
   * @param path appended to the prefix (default: none)
   */
  public s3Uri(path: string = ''): string {
    return this.bucket.s3UrlForObject(`${this.keyPrefix}${path}`);
  }

  /**
   * The ARN pattern of the objects under the prefix, or under `path` below it.
   *
   * @param path appended to the prefix before the wildcard (default: none)
   */
  public arnForObjects(path: string = ''): string {
    return this.bucket.arnForObjects(`${this.keyPrefix}${path}*`);
  }
}
