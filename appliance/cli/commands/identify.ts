import { readFile } from 'node:fs/promises';
import { FacegateError } from '../../common/errors.js';
import { DEFAULT_STATE_DIR } from '../../common/paths.js';
import { decideIdentity } from '../../recognition/decide.js';
import { selectSingleFace } from '../../recognition/select-face.js';
import { DEFAULT_LIVENESS_THRESHOLD, DEFAULT_MIN_MARGIN, DEFAULT_TARGET_FPIR, Recognizer } from '../../recognition/recognizer.js';
import { decodeImage } from '../../vision/decode.js';
import { parseCommandArgs, parseIntegerOption, parseNumberOption } from '../args.js';
import { EXIT, UsageError, type CliContext, type Command } from '../context.js';
import { warnRejectedRows } from '../warn-rejected.js';

const fixed = (value: number | undefined, digits = 3): string => (value === undefined ? '-' : value.toFixed(digits));

async function run(context: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'identify',
    argv,
    {
      json: { type: 'boolean', default: false },
      face: { type: 'string' },
      fpir: { type: 'string' },
      state: { type: 'string', default: DEFAULT_STATE_DIR },
    },
    true,
  );
  if (positionals.length !== 1) throw new UsageError('identify', 'give exactly one photo FILE');
  const file = positionals[0]!;
  const faceIndex = parseIntegerOption('identify', 'face', values.face, 1, 50);
  const targetFpir = parseNumberOption('identify', 'fpir', values.fpir, 1e-6, 0.1) ?? DEFAULT_TARGET_FPIR;

  const recognizer = await Recognizer.open({ stateDir: values.state, targetFpir }, context.logger, { needCalibration: true });
  try {
    warnRejectedRows(context, recognizer);
    if (recognizer.matcher.size === 0) {
      throw new FacegateError('identify.empty-gallery', 'the gallery is empty', { hint: 'Enrol workers with "facegate enroll" first.' });
    }
    const bytes = await readFile(file).catch((error: unknown) => {
      throw new FacegateError('image.missing', `cannot read ${file}: ${String(error)}`, { params: { file } });
    });
    const result = await recognizer.pipeline.analyse(await decodeImage(bytes, file), { maxFaces: 10 });
    const face = selectSingleFace(result, file, faceIndex);
    const liveness = face.liveness ?? 0;
    const live = liveness >= DEFAULT_LIVENESS_THRESHOLD;
    const calibrated = recognizer.threshold();
    const outcome = decideIdentity(recognizer.matcher.search(face.embedding!), calibrated.threshold, DEFAULT_MIN_MARGIN);
    const decision = !live ? 'spoof' : outcome.decision;

    if (values.json) {
      context.stdout.write(
        `${JSON.stringify({
          file,
          decision,
          subject: decision === 'match' ? outcome.best!.subjectId : null,
          best: outcome.best ?? null,
          second: outcome.second ?? null,
          margin: outcome.margin ?? null,
          threshold: calibrated.threshold,
          thresholdExtrapolated: calibrated.extrapolated,
          targetFpir,
          galleryTemplates: recognizer.matcher.size,
          liveness,
          livenessThreshold: DEFAULT_LIVENESS_THRESHOLD,
          quality: face.quality,
          box: face.box,
        })}\n`,
      );
      return EXIT.ok;
    }
    const params = {
      file,
      subject: outcome.best?.subjectId ?? '-',
      second: outcome.second?.subjectId ?? '-',
      score: fixed(outcome.best?.score),
      threshold: fixed(calibrated.threshold),
      margin: fixed(outcome.margin),
      minMargin: fixed(DEFAULT_MIN_MARGIN, 2),
      liveness: fixed(liveness, 2),
      livenessThreshold: fixed(DEFAULT_LIVENESS_THRESHOLD, 2),
    };
    if (decision === 'spoof') context.say('identify.spoof', params);
    else if (decision === 'match') context.say('identify.match', params);
    else if (decision === 'ambiguous') context.say('identify.ambiguous', params);
    else context.say('identify.unknown', params);
    return EXIT.ok;
  } finally {
    await recognizer.close();
  }
}

export const identifyCommand: Command = {
  name: 'identify',
  summary: {
    en: 'identify the face in a photo against the gallery',
    'zh-Hant': '將照片中的人臉與人臉庫比對',
    'zh-Hans': '将照片中的人脸与人脸库比对',
    pt: 'identificar o rosto de uma fotografia na galeria',
  },
  help: {
    en: `Usage: facegate identify FILE [--json] [options]

Finds the face in FILE, checks quality and liveness, and searches the gallery.
The result is a match only when the best score reaches the open-set threshold
calibrated for the gallery's size and leads the next subject by the margin.

  --json        print one JSON object instead of a sentence
  --face N      use the N-th largest face when the photo shows several
  --fpir RATE   target false-positive identification rate (default 0.01)
  --state DIR   state directory (default /var/lib/facegate)

Exit codes: 0 identified (match, unknown, ambiguous or spoof), 1 photo rejected,
2 usage error, 4 device not set up.`,
    'zh-Hant': `用法：facegate identify 檔案 [--json] [選項]

找出檔案中的人臉，檢查品質與活體，再於人臉庫中搜尋。只有當最高分數達到
依人臉庫大小校準的開集門檻，且領先第二名足夠差距時，才算相符。

  --json        輸出一個 JSON 物件，而非文字
  --face N      照片中有多張人臉時，使用第 N 大的一張
  --fpir 比率   目標誤識率（預設 0.01）
  --state 目錄  狀態目錄（預設 /var/lib/facegate）

結束代碼：0 已完成比對（相符、未登記、無法區分或假體），1 照片被拒絕，
2 用法錯誤，4 裝置尚未設定。`,
    'zh-Hans': `用法：facegate identify 文件 [--json] [选项]

找出文件中的人脸，检查质量与活体，再在人脸库中搜索。只有当最高分数达到
按人脸库大小校准的开集阈值，且领先第二名足够差距时，才算相符。

  --json        输出一个 JSON 对象，而非文字
  --face N      照片中有多张人脸时，使用第 N 大的一张
  --fpir 比率   目标误识率（默认 0.01）
  --state 目录  状态目录（默认 /var/lib/facegate）

退出代码：0 已完成比对（相符、未登记、无法区分或假体），1 照片被拒绝，
2 用法错误，4 设备尚未设置。`,
    pt: `Uso: facegate identify FICHEIRO [--json] [opções]

Encontra o rosto no FICHEIRO, verifica a qualidade e a vivacidade e procura-o na
galeria. Só há correspondência quando a melhor pontuação atinge o limiar de
conjunto aberto calibrado para o tamanho da galeria e supera a seguinte pela margem.

  --json        imprimir um objeto JSON em vez de uma frase
  --face N      usar o N-ésimo maior rosto quando a fotografia mostra vários
  --fpir TAXA   taxa alvo de identificação falsa positiva (predefinida 0,01)
  --state DIR   diretório de estado (predefinido /var/lib/facegate)

Códigos de saída: 0 identificado (correspondência, desconhecido, ambíguo ou ataque),
1 fotografia rejeitada, 2 erro de uso, 4 dispositivo não configurado.`,
  },
  run,
};
