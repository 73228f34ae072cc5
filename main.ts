import { App } from 'cdktf';
import { resolve } from 'node:path';
import { synthOutdir } from './facts/synth-output';
import { AGENT_BUILD } from './pipeline/agent/defaults';
import { configFromEnv } from './stacks/config';
import { PipelineStack, type PipelineStackProps } from './stacks/pipeline-stack';

/**
 * Synthesizes the pipeline twice: stack `aws` for a real account and stack `localstack` for an emulator.
 *
 * The only place that reads the environment (see ENV_VARS in stacks/config.ts). Run from the project root, as npm
 * scripts and the cdktf CLI do: the Lambda bundle is dist/nginx-parser, the agent bundle dist/agent.
 */
function main(): void {
  const config = configFromEnv(process.env);
  // The folder every tool reads the stacks back from (CDKTF_OUTDIR when set): one rule, in facts/synth-output.ts.
  const app = new App({ outdir: synthOutdir(process.cwd(), process.env) });
  const common: Omit<PipelineStackProps, 'target'> = {
    bundleDir: resolve('dist', 'nginx-parser'),
    agentBundlePath: resolve(AGENT_BUILD.directory, AGENT_BUILD.bundle),
    region: config.region,
    namePrefix: config.namePrefix,
    bucketName: config.bucketName,
    logFormat: config.logFormat,
    capacityMode: config.capacityMode,
    shardCount: config.shardCount,
    processorBufferSizeMBs: config.processorBufferSizeMBs,
    bufferingIntervalSeconds: config.bufferingIntervalSeconds,
    catalog: config.catalog,
    webHost: config.webHost,
    rawBackup: config.rawBackup,
    agent: config.agent,
    noRecordsAlarmMinutes: config.noRecordsAlarmMinutes,
    alarmEmail: config.alarmEmail,
    logExpirationDays: config.logExpirationDays,
    bucketKmsKeyArn: config.bucketKmsKeyArn,
    webHostNetwork: {
      subnetId: config.webHostSubnetId,
      securityGroupIds: config.webHostSecurityGroupIds,
      httpIngressCidr: config.webHostHttpCidr,
      ssmSessionManager: config.webHostSsm,
    },
  };
  // Remote state is for the real account; an emulator's stack keeps its state in a local file.
  const stateBackend =
    config.stateBucket === undefined ? undefined : { bucket: config.stateBucket, region: config.stateRegion };
  new PipelineStack(app, 'aws', { ...common, target: { kind: 'aws' }, stateBackend });
  new PipelineStack(app, 'localstack', {
    ...common,
    target: { kind: 'localstack', endpoint: config.localstackEndpoint },
  });
  app.synth();
  console.log(`synthesized stacks aws and localstack into ${app.outdir}/stacks/`);
}

try {
  main();
} catch (error) {
  console.error(`synth failed: ${(error as Error).message}`);
  process.exit(1);
}
