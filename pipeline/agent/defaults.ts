/**
 * Names and places of our agent (the aggregating shipper run as a service on a web host), in one module the agent,
 * the stack (user data, IAM, config output), the build and the cost model import. Framework-free.
 */

/** The agent's name: the systemd unit, its user, the folders under /etc, /opt and /var/lib. */
export const AGENT_NAME = 'nginx-log-agent';

/** Length of the shipper's random partition keys: 16 hex characters, 64 random bits. */
export const PARTITION_KEY_LENGTH = 16;

/** Where things live on the web host. */
export const AGENT_PATHS = Object.freeze({
  /** The bundle (one file, AWS SDK inside). */
  bundle: `/opt/${AGENT_NAME}/${AGENT_NAME}.js`,
  /** The configuration generated from the synthesized stack (`npm run agent-config -- aws`). */
  config: `/etc/${AGENT_NAME}/config.json`,
  /** Checkpoints, one per tailed file: systemd's StateDirectory, so it exists and belongs to the agent's user. */
  stateDirectory: `/var/lib/${AGENT_NAME}`,
  unit: `/etc/systemd/system/${AGENT_NAME}.service`,
});

/** The CloudWatch metrics the agent publishes, all in its own namespace (the only one its role may write). */
export const AGENT_METRICS = Object.freeze({
  namespace: 'NginxLogAgent',
  /** Lines read from the log, records Kinesis acknowledged, errors (failed calls, failed entries, warnings). */
  names: ['LinesRead', 'RecordsSent', 'Errors'] as const,
  /** How often the counters are published: CloudWatch's standard resolution. */
  intervalSeconds: 60,
});

/** The file name of the bundle and of the systemd unit `npm run build` writes to `dist/agent/`. */
export const AGENT_BUILD = Object.freeze({
  directory: 'dist/agent',
  bundle: `${AGENT_NAME}.js`,
  unit: `${AGENT_NAME}.service`,
});
