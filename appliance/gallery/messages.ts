import { defineMessages } from '../i18n/translate.js';

// Errors of the gallery and its calibration file, keyed by FacegateError code with a `.hint`
// beside each. The CLI, `facegate run` included, prints them in the technician's language.
const en = {
  'CALIBRATION_TOO_FEW_SCORES': 'Got {scores} impostor scores; at least 2 are needed to build a tail.',
  'CALIBRATION_TOO_FEW_SCORES.hint': 'Score every cross-identity pair of the evaluation set; thousands of pairs are needed for useful rates.',
  'CALIBRATION_SCORE_INVALID': 'Impostor score {score} at index {index} is not a cosine score in [-1, 1].',
  'CALIBRATION_SCORE_INVALID.hint': 'Pass cosine similarities of L2-normalised embeddings.',
  'CALIBRATION_MISSING': 'Calibration file {path} was not found, so no open-set threshold can be computed.',
  'CALIBRATION_MISSING.hint': 'Run the accuracy benchmark, which writes this file from LFW embeddings, or copy it from the firmware release.',
  'CALIBRATION_INVALID': 'Calibration file {path} is invalid: {detail}.',
  'CALIBRATION_INVALID.hint': 'Regenerate it with the accuracy benchmark; do not edit it by hand.',
  'CALIBRATION_MODEL_MISMATCH': 'Calibration file {path} is for model {fileModel}, but the embedding model is {model}.',
  'CALIBRATION_MODEL_MISMATCH.hint': 'Run the accuracy benchmark with the installed model to regenerate the calibration file.',
  'CALIBRATION_FPIR_INVALID': 'Target FPIR {fpir} is invalid; expected a rate between 0 and 1 exclusive.',
  'CALIBRATION_FPIR_INVALID.hint': 'Pass a rate such as 0.001 for one false acceptance per thousand strangers.',
  'CALIBRATION_COMPARISONS_INVALID': 'Comparison count {comparisons} is not a finite number.',
  'CALIBRATION_COMPARISONS_INVALID.hint': 'Pass the number of templates in the gallery.',
} as const;

type Key = keyof typeof en;

const zhHant: Record<Key, string> = {
  'CALIBRATION_TOO_FEW_SCORES': '只得到 {scores} 個冒認者分數；建立分佈尾端至少需要 2 個。',
  'CALIBRATION_TOO_FEW_SCORES.hint': '請為評估資料集中每一對不同身分的人臉計分；要得到有用的比率需要數千對。',
  'CALIBRATION_SCORE_INVALID': '索引 {index} 的冒認者分數 {score} 不是 [-1, 1] 範圍內的餘弦分數。',
  'CALIBRATION_SCORE_INVALID.hint': '請傳入經 L2 正規化的特徵向量之間的餘弦相似度。',
  'CALIBRATION_MISSING': '找不到校準檔案 {path}，因此無法計算開放集門檻。',
  'CALIBRATION_MISSING.hint': '請執行準確度基準測試（它會以 LFW 特徵向量寫出此檔案），或從韌體發行版本複製此檔案。',
  'CALIBRATION_INVALID': '校準檔案 {path} 無效：{detail}。',
  'CALIBRATION_INVALID.hint': '請以準確度基準測試重新產生此檔案；不要手動編輯。',
  'CALIBRATION_MODEL_MISMATCH': '校準檔案 {path} 適用於模型 {fileModel}，但特徵模型是 {model}。',
  'CALIBRATION_MODEL_MISMATCH.hint': '請以已安裝的模型執行準確度基準測試，重新產生校準檔案。',
  'CALIBRATION_FPIR_INVALID': '目標 FPIR {fpir} 無效；應為介乎 0 與 1 之間（不含兩端）的比率。',
  'CALIBRATION_FPIR_INVALID.hint': '請傳入例如 0.001 的比率，即每一千名陌生人有一次誤接受。',
  'CALIBRATION_COMPARISONS_INVALID': '比對次數 {comparisons} 不是有限數值。',
  'CALIBRATION_COMPARISONS_INVALID.hint': '請傳入人臉庫中的範本數量。',
};

const zhHans: Record<Key, string> = {
  'CALIBRATION_TOO_FEW_SCORES': '只得到 {scores} 个冒认者分数；建立分布尾部至少需要 2 个。',
  'CALIBRATION_TOO_FEW_SCORES.hint': '请为评估数据集中每一对不同身份的人脸计分；要得到有用的比率需要数千对。',
  'CALIBRATION_SCORE_INVALID': '索引 {index} 的冒认者分数 {score} 不是 [-1, 1] 范围内的余弦分数。',
  'CALIBRATION_SCORE_INVALID.hint': '请传入经 L2 归一化的特征向量之间的余弦相似度。',
  'CALIBRATION_MISSING': '找不到校准文件 {path}，因此无法计算开放集阈值。',
  'CALIBRATION_MISSING.hint': '请运行准确度基准测试（它会用 LFW 特征向量写出此文件），或从固件发布版本复制此文件。',
  'CALIBRATION_INVALID': '校准文件 {path} 无效：{detail}。',
  'CALIBRATION_INVALID.hint': '请用准确度基准测试重新生成此文件；不要手动编辑。',
  'CALIBRATION_MODEL_MISMATCH': '校准文件 {path} 适用于模型 {fileModel}，但特征模型是 {model}。',
  'CALIBRATION_MODEL_MISMATCH.hint': '请用已安装的模型运行准确度基准测试，重新生成校准文件。',
  'CALIBRATION_FPIR_INVALID': '目标 FPIR {fpir} 无效；应为介于 0 与 1 之间（不含两端）的比率。',
  'CALIBRATION_FPIR_INVALID.hint': '请传入例如 0.001 的比率，即每一千名陌生人有一次误接受。',
  'CALIBRATION_COMPARISONS_INVALID': '比对次数 {comparisons} 不是有限数值。',
  'CALIBRATION_COMPARISONS_INVALID.hint': '请传入人脸库中的模板数量。',
};

const pt: Record<Key, string> = {
  'CALIBRATION_TOO_FEW_SCORES': 'Recebidas {scores} pontuações de impostor; são precisas pelo menos 2 para construir a cauda.',
  'CALIBRATION_TOO_FEW_SCORES.hint': 'Pontue todos os pares de identidades diferentes do conjunto de avaliação; são precisos milhares de pares para taxas úteis.',
  'CALIBRATION_SCORE_INVALID': 'A pontuação de impostor {score} no índice {index} não é uma pontuação de cosseno em [-1, 1].',
  'CALIBRATION_SCORE_INVALID.hint': 'Passe semelhanças de cosseno de embeddings normalizados em L2.',
  'CALIBRATION_MISSING': 'O ficheiro de calibração {path} não foi encontrado, por isso não é possível calcular o limiar de conjunto aberto.',
  'CALIBRATION_MISSING.hint': 'Execute o benchmark de exatidão, que escreve este ficheiro a partir de embeddings do LFW, ou copie-o da versão do firmware.',
  'CALIBRATION_INVALID': 'O ficheiro de calibração {path} é inválido: {detail}.',
  'CALIBRATION_INVALID.hint': 'Gere-o de novo com o benchmark de exatidão; não o edite à mão.',
  'CALIBRATION_MODEL_MISMATCH': 'O ficheiro de calibração {path} é para o modelo {fileModel}, mas o modelo de embeddings é {model}.',
  'CALIBRATION_MODEL_MISMATCH.hint': 'Execute o benchmark de exatidão com o modelo instalado para gerar de novo o ficheiro de calibração.',
  'CALIBRATION_FPIR_INVALID': 'A FPIR alvo {fpir} é inválida; esperada uma taxa entre 0 e 1, exclusive.',
  'CALIBRATION_FPIR_INVALID.hint': 'Passe uma taxa como 0.001 para uma aceitação falsa por cada mil desconhecidos.',
  'CALIBRATION_COMPARISONS_INVALID': 'O número de comparações {comparisons} não é um número finito.',
  'CALIBRATION_COMPARISONS_INVALID.hint': 'Passe o número de modelos biométricos na galeria.',
};

export const galleryMessages = defineMessages<Key>({ en, 'zh-Hant': zhHant, 'zh-Hans': zhHans, pt });
