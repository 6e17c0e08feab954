import { readFile } from 'node:fs/promises';
import { FacegateError } from '../../common/errors.js';
import { requireConsent } from '../../consent/service.js';
import { ConsentStore } from '../../consent/store.js';
import { DEFAULT_STATE_DIR } from '../../common/paths.js';
import { validateSubjectId } from '../../gallery/validate.js';
import { selectSingleFace } from '../../recognition/select-face.js';
import { DEFAULT_LIVENESS_THRESHOLD, Recognizer, featureModelVersion } from '../../recognition/recognizer.js';
import { decodeImage } from '../../vision/decode.js';
import { commandLineActor, recordStandalone } from '../../audit/standalone.js';
import { parseCommandArgs, parseIntegerOption } from '../args.js';
import { EXIT, UsageError, type CliContext, type Command } from '../context.js';
import { warnRejectedRows } from '../warn-rejected.js';

const fixed = (value: number, digits = 2): string => value.toFixed(digits);

async function run(context: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('enroll', argv, {
    subject: { type: 'string' },
    photo: { type: 'string', multiple: true },
    name: { type: 'string' },
    add: { type: 'boolean', default: false },
    face: { type: 'string' },
    state: { type: 'string', default: DEFAULT_STATE_DIR },
  });
  if (values.subject === undefined) throw new UsageError('enroll', '--subject ID is required');
  if (values.photo === undefined || values.photo.length === 0) throw new UsageError('enroll', 'at least one --photo FILE is required');
  validateSubjectId(values.subject);
  const faceIndex = parseIntegerOption('enroll', 'face', values.face, 1, 50);

  // Faces are processed only with recorded consent, so the check comes before any photo is read.
  const consents = ConsentStore.open({ stateDir: values.state, logger: context.logger });
  try {
    requireConsent(consents, values.subject);
  } finally {
    consents.close();
  }

  const recognizer = await Recognizer.open({ stateDir: values.state }, context.logger, { needCalibration: false });
  try {
    warnRejectedRows(context, recognizer);
    if (recognizer.gallery.hasSubject(values.subject) && !values.add) {
      throw new FacegateError('GALLERY_SUBJECT_EXISTS', `subject ${values.subject} is already enrolled`, {
        params: { subject: values.subject },
      });
    }

    // Every photo is checked before anything is stored, so a bad photo leaves the gallery unchanged.
    const embeddings: Float32Array[] = [];
    const qualities: number[] = [];
    for (const file of values.photo) {
      const bytes = await readFile(file).catch((error: unknown) => {
        throw new FacegateError('image.missing', `cannot read ${file}: ${String(error)}`, { params: { file } });
      });
      const image = await decodeImage(bytes, file);
      const result = await recognizer.pipeline.analyse(image, { maxFaces: 10 });
      const face = selectSingleFace(result, file, faceIndex);
      const embedding = face.embedding!;
      context.say('enroll.photo', {
        file,
        width: Math.round(face.box.x2 - face.box.x1),
        height: Math.round(face.box.y2 - face.box.y1),
        ied: Math.round(face.quality.interEyePx),
        sharpness: Math.round(face.quality.sharpness),
        liveness: fixed(face.liveness ?? 0),
      });
      if ((face.liveness ?? 0) < DEFAULT_LIVENESS_THRESHOLD) context.warn('enroll.not-live', { file, liveness: fixed(face.liveness ?? 0) });

      const other = recognizer.matcher.nearestOtherSubject(embedding, values.subject);
      if (other !== undefined && recognizer.calibration !== undefined) {
        const { threshold } = recognizer.threshold();
        if (other.score >= threshold) {
          context.warn('enroll.duplicate', { file, other: other.subjectId, score: fixed(other.score, 3), threshold: fixed(threshold, 3) });
        }
      }
      embeddings.push(embedding);
      qualities.push(Math.min(1, face.quality.sharpness / 1000));
    }

    if (!recognizer.gallery.hasSubject(values.subject)) {
      recognizer.gallery.addSubject(values.subject, values.name === undefined ? {} : { displayName: values.name });
    }
    const ids = recognizer.gallery.addTemplates(values.subject, embeddings, {
      modelVersion: featureModelVersion(recognizer.pipeline),
      quality: qualities,
    });
    context.logger.info({ subject: recognizer.gallery.pseudonymFor(values.subject), templates: ids.length }, 'subject enrolled');
    await recordStandalone(
      values.state,
      { actor: commandLineActor(), action: 'enrolment.add', object: { kind: 'subject', id: values.subject }, outcome: 'success', detail: { templates: ids.length, added: values.add } },
      context.logger,
    );
    context.say('enroll.done', { subject: values.subject, templates: ids.length });
    return EXIT.ok;
  } finally {
    await recognizer.close();
  }
}

export const enrollCommand: Command = {
  name: 'enroll',
  summary: {
    en: 'enrol a worker from one or more photos',
    'zh-Hant': '以一張或多張照片登記人員',
    'zh-Hans': '以一张或多张照片登记人员',
    pt: 'registar um trabalhador a partir de uma ou mais fotografias',
  },
  help: {
    en: `Usage: facegate enroll --subject ID --photo FILE [--photo FILE ...] [options]

Checks that the worker's consent to facial recognition is recorded and in force
(\`facegate consent grant\`), then checks every photo (one face, quality gate, liveness)
and stores one encrypted template per photo under the subject's own key. Nothing is
stored if the consent is missing or any photo fails.

  --subject ID    worker id: 1-64 characters of A-Z a-z 0-9 . _ -
  --photo FILE    JPEG or PNG photo of the worker; repeat for several
  --name TEXT     display name shown to operators on the device
  --add           add templates to a subject who is already enrolled
  --face N        use the N-th largest face when a photo shows several
  --state DIR     state directory (default /var/lib/facegate)

Exit codes: 0 enrolled, 1 a photo or the subject was rejected, 2 usage error, 4 device not set up.`,
    'zh-Hant': `用法：facegate enroll --subject 編號 --photo 檔案 [--photo 檔案 ...] [選項]

逐一檢查每張照片（只有一張人臉、品質檢查、活體檢測），然後每張照片儲存一個
以該人員專屬金鑰加密的範本。任何一張照片不合格時，一概不儲存。

  --subject 編號  員工編號：1 至 64 個字元，可用 A-Z a-z 0-9 . _ -
  --photo 檔案    員工的 JPEG 或 PNG 照片；可重複指定多張
  --name 文字     在裝置上顯示的姓名
  --add           為已登記的人員增加範本
  --face N        照片中有多張人臉時，使用第 N 大的一張
  --state 目錄    狀態目錄（預設 /var/lib/facegate）

結束代碼：0 已登記，1 照片或人員被拒絕，2 用法錯誤，4 裝置尚未設定。`,
    'zh-Hans': `用法：facegate enroll --subject 编号 --photo 文件 [--photo 文件 ...] [选项]

逐一检查每张照片（只有一张人脸、质量检查、活体检测），然后每张照片保存一个
以该人员专属密钥加密的模板。任何一张照片不合格时，一概不保存。

  --subject 编号  员工编号：1 至 64 个字符，可用 A-Z a-z 0-9 . _ -
  --photo 文件    员工的 JPEG 或 PNG 照片；可重复指定多张
  --name 文字     在设备上显示的姓名
  --add           为已登记的人员增加模板
  --face N        照片中有多张人脸时，使用第 N 大的一张
  --state 目录    状态目录（默认 /var/lib/facegate）

退出代码：0 已登记，1 照片或人员被拒绝，2 用法错误，4 设备尚未设置。`,
    pt: `Uso: facegate enroll --subject ID --photo FICHEIRO [--photo FICHEIRO ...] [opções]

Verifica cada fotografia (um rosto, controlo de qualidade, vivacidade) e guarda um
modelo cifrado por fotografia com a chave própria da pessoa. Nada é guardado se
alguma fotografia falhar.

  --subject ID       número do trabalhador: 1 a 64 caracteres de A-Z a-z 0-9 . _ -
  --photo FICHEIRO   fotografia JPEG ou PNG; repita para várias
  --name TEXTO       nome mostrado no dispositivo
  --add              acrescentar modelos a uma pessoa já registada
  --face N           usar o N-ésimo maior rosto quando a fotografia mostra vários
  --state DIR        diretório de estado (predefinido /var/lib/facegate)

Códigos de saída: 0 registado, 1 fotografia ou pessoa rejeitada, 2 erro de uso, 4 dispositivo não configurado.`,
  },
  run,
};
