import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DataLake } from '../lib';

/**
 * The reference MLOps stack: what `npx cdk deploy` puts into an account.
 * Each issue that adds a capability wires it in here.
 */
export class MlopsReferenceStack extends Stack {
  public readonly dataLake: DataLake;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description: 'cdk-mlops reference stack: data lake for ML',
      ...props,
    });
    this.dataLake = new DataLake(this, 'DataLake', { glueDatabaseName: 'mlops_curated' });
  }
}
