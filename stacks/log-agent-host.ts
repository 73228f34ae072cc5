/**
 * How a web host installs our agent, as text: the user data lines after nginx is installed. Pure, tested as text.
 */
import type { LogAgentConfig } from '../pipeline/agent/config';
import { AGENT_NAME, AGENT_PATHS } from '../pipeline/agent/defaults';
import { systemdUnit } from '../pipeline/agent/systemd';
import { terraformLiteral } from '../facts/terraform-literal';

/** Node.js from the Amazon Linux 2023 repositories: namespaced, so the unit names the exact major version. */
export const LOG_AGENT_HOST_DEFAULTS = Object.freeze({
  nodePackage: 'nodejs22',
  node: '/usr/bin/node-22',
});

/** What the user data needs to install our agent. */
export interface LogAgentInstall {
  readonly config: LogAgentConfig;
  /** The bundle's bucket and key (see AgentBundle). */
  readonly bundleBucket: string;
  readonly bundleKey: string;
}

/**
 * The user data: nginx and Node.js from the AL2023 repositories, the agent's system user with read access to the log
 * folder (a default ACL keeps logrotate's new files readable), the bundle from S3 with the instance role, the
 * generated configuration and the systemd unit, then nginx and the agent started.
 */
export function logAgentUserData(install: LogAgentInstall): string {
  const user = AGENT_NAME;
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    `dnf install -y nginx ${LOG_AGENT_HOST_DEFAULTS.nodePackage} acl`,
    `id -u ${user} >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin ${user}`,
    '# Least privilege: the agent may list and read the log folder; the default ACL covers files logrotate creates.',
    'chmod 755 /var/log/nginx',
    `setfacl -m u:${user}:rx /var/log/nginx`,
    `setfacl -d -m u:${user}:r /var/log/nginx`,
    `install -d -m 0755 /opt/${AGENT_NAME} /etc/${AGENT_NAME}`,
    '# The instance role may read exactly this object (AWS CLI v2 ships with Amazon Linux 2023).',
    `aws s3 cp s3://${install.bundleBucket}/${install.bundleKey} ${AGENT_PATHS.bundle}`,
    `cat > ${AGENT_PATHS.config} <<'AGENT_JSON'`,
    terraformLiteral(JSON.stringify(install.config, null, 2)),
    'AGENT_JSON',
    `cat > ${AGENT_PATHS.unit} <<'AGENT_UNIT'`,
    systemdUnit({ node: LOG_AGENT_HOST_DEFAULTS.node }).trimEnd(),
    'AGENT_UNIT',
    'systemctl daemon-reload',
    'systemctl enable --now nginx',
    '# Files nginx created before the default ACL existed.',
    `setfacl -m u:${user}:r /var/log/nginx/*.log`,
    `systemctl enable --now ${AGENT_NAME}`,
    '',
  ].join('\n');
}
