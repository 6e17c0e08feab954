import type { CliContext, Command } from '../../appliance/cli/context.js';
import { EXIT } from '../../appliance/cli/context.js';
import { parseCommandArgs } from '../../appliance/cli/args.js';
import { createLogger } from '../../appliance/common/logger.js';
import type { Locale } from '../../appliance/i18n/locale.js';
import { loadFleetConfig } from '../config.js';
import { FleetMonitor } from '../monitor.js';
import { fleetUsage, runFleetCommand } from './command.js';
import { COMMAND_HELP } from './command-help.js';
import { runOperatorKey } from './operator-key.js';

async function serve(context: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('fleet', argv, { config: { type: 'string' } }, true);
  if (positionals.length > 0) throw fleetUsage('usage.fleet.serve-arguments', { arguments: positionals.join(' ') });
  if (values.config === undefined) throw fleetUsage('usage.fleet.serve-config');
  const config = loadFleetConfig(values.config);
  // The monitor is a service: it logs at info to standard error unless --log-level says otherwise.
  const logger = createLogger({ level: process.env.FACEGATE_LOG_LEVEL ?? 'info', name: 'facegate.fleet' });
  const monitor = new FleetMonitor({ config, logger });
  await monitor.start({ subscribeTimeoutMs: 60_000 });
  context.stdout.write(`${DASHBOARD_LABEL[context.locale]}${monitor.dashboardUrl}\n`);

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await monitor.stop();
  return EXIT.ok;
}

const DASHBOARD_LABEL: Record<Locale, string> = { en: 'Dashboard: ', 'zh-Hant': '儀表板：', 'zh-Hans': '仪表板：', pt: 'Painel: ' };

export const fleetCommand: Command = {
  name: 'fleet',
  summary: {
    en: 'run the fleet monitor: receive, verify and store events and audit logs, dashboard',
    'zh-Hant': '執行裝置群組監察：接收、驗證及儲存事件與稽核紀錄，並提供儀表板',
    'zh-Hans': '运行设备群组监控：接收、验证及存储事件与审计记录，并提供仪表板',
    pt: 'executar o monitor da frota: receber, verificar e guardar eventos e registos de auditoria, painel',
  },
  help: {
    en: `Usage: facegate fleet serve --config FILE

Subscribes to the broker over mutual TLS with an MQTT 5 shared subscription,
opens and verifies every event and audit message against the registered
device keys, stores them in SQLite or PostgreSQL, tracks devices and audit
chains, raises alerts and serves the dashboard. Run several instances with the
same shareGroup and a PostgreSQL store to share the load. docs/fleet.md lists
the configuration keys. Stops on SIGTERM or Ctrl-C after storing what it received.

${COMMAND_HELP.en}`,
    'zh-Hant': `用法：facegate fleet serve --config 檔案

以雙向 TLS 及 MQTT 5 共享訂閱連接代理伺服器，按已登記的裝置金鑰開啟並驗證每個事件及稽核訊息，
儲存於 SQLite 或 PostgreSQL，追蹤裝置及稽核鏈，發出警報並提供儀表板。多個執行個體使用相同
shareGroup 及 PostgreSQL 即可分擔負載。設定鍵見 docs/fleet.md。收到 SIGTERM 或 Ctrl-C 時，
先儲存已收到的訊息再停止。

${COMMAND_HELP['zh-Hant']}`,
    'zh-Hans': `用法：facegate fleet serve --config 文件

以双向 TLS 及 MQTT 5 共享订阅连接代理服务器，按已登记的设备密钥打开并验证每个事件及审计消息，
存储于 SQLite 或 PostgreSQL，跟踪设备及审计链，发出警报并提供仪表板。多个实例使用相同
shareGroup 及 PostgreSQL 即可分担负载。配置键见 docs/fleet.md。收到 SIGTERM 或 Ctrl-C 时，
先存储已收到的消息再停止。

${COMMAND_HELP['zh-Hans']}`,
    pt: `Uso: facegate fleet serve --config FICHEIRO

Subscreve o broker por TLS mútuo com uma subscrição partilhada MQTT 5, abre e verifica cada
evento e mensagem de auditoria com as chaves registadas, guarda-os em SQLite ou PostgreSQL,
acompanha os dispositivos e as cadeias de auditoria, emite alertas e serve o painel. Várias
instâncias com o mesmo shareGroup e um armazenamento PostgreSQL repartem a carga. docs/fleet.md
lista as chaves de configuração. Para com SIGTERM ou Ctrl-C depois de guardar o que recebeu.

${COMMAND_HELP.pt}`,
  },
  async run(context, argv) {
    const [action, ...rest] = argv;
    if (action === 'serve') return serve(context, rest);
    if (action === 'command') return runFleetCommand(context, rest);
    if (action === 'operator-key') return runOperatorKey(context, rest);
    throw fleetUsage('usage.fleet.action');
  },
};
