/**
 * The agent's systemd unit, as text: `npm run build` writes it next to the bundle and the web host's user data
 * installs the same text, so the two cannot drift apart.
 */
import { AGENT_NAME, AGENT_PATHS } from './defaults';

/** Options of {@link systemdUnit}. */
export interface SystemdUnitOptions {
  /** The Node.js ≥ 20 binary. @default "/usr/bin/node" */
  readonly node?: string;
  /** User and group the agent runs as; it needs read access to the logs (an ACL, see the README). @default AGENT_NAME */
  readonly user?: string;
}

/**
 * The unit: runs the bundle with the generated configuration as an unprivileged user, keeps checkpoints in its
 * StateDirectory (/var/lib/nginx-log-agent), restarts it if it dies, and stops it with SIGTERM, which makes it send
 * what it has read and write its checkpoints; the stop timeout leaves room for the agent's own 20 s grace.
 */
export function systemdUnit(opts: SystemdUnitOptions = {}): string {
  const user = opts.user ?? AGENT_NAME;
  return [
    '[Unit]',
    `Description=${AGENT_NAME}: nginx access logs to Kinesis Data Streams, many lines per record`,
    'Wants=network-online.target',
    'After=network-online.target nginx.service',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${opts.node ?? '/usr/bin/node'} ${AGENT_PATHS.bundle} --config ${AGENT_PATHS.config}`,
    `User=${user}`,
    `Group=${user}`,
    `StateDirectory=${AGENT_PATHS.stateDirectory.replace(/^\/var\/lib\//, '')}`,
    'StateDirectoryMode=0700',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=30',
    'Restart=always',
    'RestartSec=5',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
