import { defineMessages } from '../i18n/translate.js';

// Errors of the face models, keyed by FacegateError code with a `.hint` beside each. The CLI,
// `facegate run` included, prints them in the technician's language.
const en = {
  'model.manifest': '{file} has no valid entry for {model}',
  'model.manifest.hint': 'Restore models/manifest.json from the release.',
  'model.invalid': 'model {model} could not be loaded by onnxruntime: {detail}',
  'model.invalid.hint': 'Run make setup to fetch the models again.',
} as const;

type Key = keyof typeof en;

const zhHant: Record<Key, string> = {
  'model.manifest': '{file} 中沒有模型 {model} 的有效項目',
  'model.manifest.hint': '請從發行版本還原 models/manifest.json。',
  'model.invalid': 'onnxruntime 無法載入模型 {model}：{detail}',
  'model.invalid.hint': '請執行 make setup 重新下載模型。',
};

const zhHans: Record<Key, string> = {
  'model.manifest': '{file} 中没有模型 {model} 的有效条目',
  'model.manifest.hint': '请从发布版本恢复 models/manifest.json。',
  'model.invalid': 'onnxruntime 无法加载模型 {model}：{detail}',
  'model.invalid.hint': '请运行 make setup 重新下载模型。',
};

const pt: Record<Key, string> = {
  'model.manifest': '{file} não tem uma entrada válida para {model}',
  'model.manifest.hint': 'Reponha models/manifest.json a partir da versão publicada.',
  'model.invalid': 'o onnxruntime não conseguiu carregar o modelo {model}: {detail}',
  'model.invalid.hint': 'Execute make setup para descarregar os modelos de novo.',
};

export const modelMessages = defineMessages<Key>({ en, 'zh-Hant': zhHant, 'zh-Hans': zhHans, pt });
