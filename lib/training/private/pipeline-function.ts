import { Construct } from 'constructs';
import { HandlerFunction, HandlerFunctionProps } from '../../core/private/handler-function';

/** A handler function's props, less the cdk-nag reasons, which are the same for every pipeline function. */
export interface PipelineFunctionProps extends Omit<HandlerFunctionProps, 'noDeadLetterQueueReason' | 'noReservedConcurrencyReason' | 'outsideVpcReason'> {
  /** The pipeline prop that reserves concurrency, named in the acknowledgement. */
  readonly reservedConcurrencyProp?: string;
}

/**
 * A function of the pipeline's run (the run manifest, the drift baseline), invoked by the state
 * machine, which retries throttled calls. Its data grants are added by the pipeline.
 */
export class PipelineFunction extends HandlerFunction {
  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id, {
      ...props,
      noDeadLetterQueueReason: 'Step Functions invokes the function synchronously and retries and catches its errors; a dead-letter queue only serves asynchronous invocations.',
      noReservedConcurrencyReason: 'Reserving concurrency fails the deploy in accounts whose limit leaves fewer than 10 unreserved; runs call the function a few times each and retry throttling.'
        + (props.reservedConcurrencyProp ? ` Set ${props.reservedConcurrencyProp} to reserve some.` : ''),
      outsideVpcReason: 'The function only calls S3 over TLS; give the pipeline a vpc to run it, and the jobs, inside one.',
    });
  }
}
