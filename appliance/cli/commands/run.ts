import { createLogger, type Logger } from '../../common/logger.js';
import { isFacegateError } from '../../common/errors.js';
import { ConfigError, loadConfig, type FacegateConfig } from '../../config/index.js';
import { Daemon } from '../../daemon/daemon.js';
import { parseCommandArgs } from '../args.js';
import { EXIT, UsageError, type CliContext, type Command } from '../context.js';
import { reportError } from '../report-error.js';

/** Exit code after a second SIGTERM or SIGINT cut the stop short (128 + SIGINT). */
const FORCED_EXIT_CODE = 130;

async function run(context: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('run', argv, { config: { type: 'string' } });
  if (values.config === undefined) throw new UsageError('run', '--config FILE is required');

  let config: FacegateConfig;
  try {
    config = loadConfig(values.config, { locale: context.locale });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The message lists every problem with its key path and fix.
    context.stderr.write(`${error.message}\n`);
    return EXIT.setup;
  }

  const logger = createLogger({ level: process.env.FACEGATE_LOG_LEVEL ?? config.log.level, name: 'facegate' }).child({
    device: config.device.id,
  });
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({ config, logger, configFile: values.config });
  } catch (error) {
    reportError(context, error);
    // Any FacegateError at start-up is a device that is not set up: keys, certificates, models, GPIO.
    return isFacegateError(error) ? EXIT.setup : EXIT.failed;
  }

  // SIGHUP (`systemctl reload facegate`) reloads the gallery after an enrolment or removal with the CLI.
  const onReload = (): void => {
    try {
      daemon.reloadGallery();
    } catch (error) {
      logger.error({ err: error }, 'gallery reload failed; the matcher keeps the previous gallery');
    }
  };
  process.on('SIGHUP', onReload);
  await waitForStopSignal(logger);
  process.off('SIGHUP', onReload);
  await daemon.stop();
  return EXIT.ok;
}

/** Resolve at the first SIGTERM or SIGINT; a second one exits at once. */
function waitForStopSignal(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (received) {
        logger.warn({ signal }, 'second stop signal; exiting without finishing the stop');
        process.exit(FORCED_EXIT_CODE);
      }
      received = true;
      logger.info({ signal }, 'stop signal received');
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

export const runCommand: Command = {
  name: 'run',
  summary: {
    en: 'run the gate daemon in the foreground (systemd starts it this way)',
    'zh-Hant': '在前台執行閘機服務（systemd 以此方式啟動）',
    'zh-Hans': '在前台运行闸机服务（systemd 以此方式启动）',
    pt: 'executar o serviço da porta em primeiro plano (o systemd inicia-o assim)',
  },
  help: {
    en: `Usage: facegate run --config FILE

Runs the daemon: camera, face recognition, door relay and signals, and the
attendance events sent to the broker. It starts in named steps, tells systemd
READY=1 once the models are warm and the camera delivered a frame, and stops
on SIGTERM or SIGINT, flushing the outbox first. Logs are JSON lines on
standard error at log.level from the configuration (FACEGATE_LOG_LEVEL overrides it).

  --config FILE   YAML configuration (see docs/config.md)

Exit codes: 0 stopped by a signal, 2 usage error, 4 invalid configuration or
device not set up (keys, certificates, models, calibration, GPIO).`,
    'zh-Hant': `用法：facegate run --config 檔案

執行閘機服務：攝影機、人臉辨識、門鎖繼電器及訊號燈，以及傳送到伺服器的考勤事件。
服務按步驟啟動，模型預熱完成且攝影機送出第一幀後通知 systemd READY=1；
收到 SIGTERM 或 SIGINT 時先送出待傳事件再停止。日誌以 JSON 行寫到標準錯誤，
等級取自設定檔的 log.level（FACEGATE_LOG_LEVEL 可覆寫）。

  --config 檔案   YAML 設定檔（見 docs/config.md）

結束代碼：0 收到訊號後停止，2 用法錯誤，4 設定無效或裝置尚未設定（金鑰、憑證、模型、校準、GPIO）。`,
    'zh-Hans': `用法：facegate run --config 文件

运行闸机服务：摄像头、人脸识别、门锁继电器及信号灯，以及发送到服务器的考勤事件。
服务按步骤启动，模型预热完成且摄像头送出第一帧后通知 systemd READY=1；
收到 SIGTERM 或 SIGINT 时先发出待发事件再停止。日志以 JSON 行写到标准错误，
级别取自配置文件的 log.level（FACEGATE_LOG_LEVEL 可覆盖）。

  --config 文件   YAML 配置文件（见 docs/config.md）

退出代码：0 收到信号后停止，2 用法错误，4 配置无效或设备尚未设置（密钥、证书、模型、校准、GPIO）。`,
    pt: `Uso: facegate run --config FICHEIRO

Executa o serviço: câmara, reconhecimento facial, relé e sinais da porta, e os
eventos de assiduidade enviados ao servidor. Arranca por passos, avisa o systemd
com READY=1 quando os modelos estão prontos e a câmara entregou uma imagem, e
para com SIGTERM ou SIGINT depois de enviar os eventos pendentes. Os registos
são linhas JSON na saída de erro, ao nível log.level da configuração
(FACEGATE_LOG_LEVEL sobrepõe-se).

  --config FICHEIRO   configuração YAML (ver docs/config.md)

Códigos de saída: 0 parado por sinal, 2 erro de uso, 4 configuração inválida ou
dispositivo não configurado (chaves, certificados, modelos, calibração, GPIO).`,
  },
  run,
};
