import type { Locale } from '../../i18n/locale.js';

/** `facegate enroll --help` in each language. */
export const ENROLL_HELP: Record<Locale, string> = {
  en: `Usage: facegate enroll --subject ID --photo FILE [--photo FILE ...] [options]

Checks that the worker's consent to facial recognition is recorded and in force
(\`facegate consent grant\`), then checks every photo and stores one encrypted template
per photo under the subject's own key. Each photo must show one face that passes the
quality gate and scores at least vision.livenessThreshold (default 0.5) on liveness.
All photos of one enrolment must match each other, and with --add each must also
match the subject's stored templates, at the threshold calibrated in
models/calibration.json for the gallery's size. Nothing is stored if the consent is
missing or any photo fails.

  --subject ID       worker id: 1-64 characters of A-Z a-z 0-9 . _ -
  --photo FILE       JPEG or PNG photo of the worker; repeat for up to 20
  --name TEXT        display name shown to operators on the device
  --add              add templates to a subject who is already enrolled
  --allow-not-live   store photos that fail the liveness check, such as a scanned ID
                     photo; the audit log records the override and the scores
  --face N           use the N-th largest face when a photo shows several
  --config FILE      configuration file: stateDir, modelsDir, vision thresholds and
                     matching.calibrationFile / targetFpir are read from it
  --state DIR        state directory (default: stateDir of --config, else /var/lib/facegate)

Exit codes: 0 enrolled, 1 a photo or the subject was rejected, 2 usage error, 4 device not set up.`,
  'zh-Hant': `用法：facegate enroll --subject 編號 --photo 檔案 [--photo 檔案 ...] [選項]

先確認員工對人臉辨識的同意已記錄且有效（\`facegate consent grant\`），再逐一檢查
每張照片，然後每張照片儲存一個以該人員專屬金鑰加密的範本。每張照片只可有一張
人臉，須通過品質檢查，且活體分數不低於 vision.livenessThreshold（預設 0.5）。
同一次登記的照片必須互相相符；加上 --add 時，每張照片也必須與該人員已儲存的
範本相符，門檻按 models/calibration.json 依人臉庫大小校準。同意欠缺或任何一張
照片不合格時，一概不儲存。

  --subject 編號     員工編號：1 至 64 個字元，可用 A-Z a-z 0-9 . _ -
  --photo 檔案       員工的 JPEG 或 PNG 照片；可重複指定，最多 20 張
  --name 文字        在裝置上顯示的姓名
  --add              為已登記的人員增加範本
  --allow-not-live   仍然儲存未通過活體檢測的照片，例如掃描的證件照片；
                     稽核紀錄會記下此例外及分數
  --face N           照片中有多張人臉時，使用第 N 大的一張
  --config 檔案      設定檔：從中讀取 stateDir、modelsDir、vision 門檻及
                     matching.calibrationFile / targetFpir
  --state 目錄       狀態目錄（預設為 --config 的 stateDir，否則 /var/lib/facegate）

結束代碼：0 已登記，1 照片或人員被拒絕，2 用法錯誤，4 裝置尚未設定。`,
  'zh-Hans': `用法：facegate enroll --subject 编号 --photo 文件 [--photo 文件 ...] [选项]

先确认员工对人脸识别的同意已记录且有效（\`facegate consent grant\`），再逐一检查
每张照片，然后每张照片保存一个以该人员专属密钥加密的模板。每张照片只可有一张
人脸，须通过质量检查，且活体分数不低于 vision.livenessThreshold（默认 0.5）。
同一次登记的照片必须互相相符；加上 --add 时，每张照片也必须与该人员已保存的
模板相符，阈值按 models/calibration.json 依人脸库大小校准。同意欠缺或任何一张
照片不合格时，一概不保存。

  --subject 编号     员工编号：1 至 64 个字符，可用 A-Z a-z 0-9 . _ -
  --photo 文件       员工的 JPEG 或 PNG 照片；可重复指定，最多 20 张
  --name 文字        在设备上显示的姓名
  --add              为已登记的人员增加模板
  --allow-not-live   仍然保存未通过活体检测的照片，例如扫描的证件照片；
                     审计记录会记下此例外及分数
  --face N           照片中有多张人脸时，使用第 N 大的一张
  --config 文件      配置文件：从中读取 stateDir、modelsDir、vision 阈值及
                     matching.calibrationFile / targetFpir
  --state 目录       状态目录（默认为 --config 的 stateDir，否则 /var/lib/facegate）

退出代码：0 已登记，1 照片或人员被拒绝，2 用法错误，4 设备尚未设置。`,
  pt: `Uso: facegate enroll --subject ID --photo FICHEIRO [--photo FICHEIRO ...] [opções]

Verifica que o consentimento do trabalhador ao reconhecimento facial está registado e
em vigor (\`facegate consent grant\`), depois verifica cada fotografia e guarda um modelo
cifrado por fotografia com a chave própria da pessoa. Cada fotografia deve mostrar um
rosto que passa o controlo de qualidade e obtém pelo menos vision.livenessThreshold
(predefinido 0,5) de vivacidade. Todas as fotografias de um registo devem corresponder
entre si e, com --add, também aos modelos guardados da pessoa, no limiar calibrado em
models/calibration.json para o tamanho da galeria. Nada é guardado se faltar o
consentimento ou se alguma fotografia falhar.

  --subject ID         número do trabalhador: 1 a 64 caracteres de A-Z a-z 0-9 . _ -
  --photo FICHEIRO     fotografia JPEG ou PNG; repita para várias, até 20
  --name TEXTO         nome mostrado no dispositivo
  --add                acrescentar modelos a uma pessoa já registada
  --allow-not-live     guardar fotografias que falham a vivacidade, como uma fotografia
                       de documento digitalizada; o registo de auditoria guarda a exceção
                       e as pontuações
  --face N             usar o N-ésimo maior rosto quando a fotografia mostra vários
  --config FICHEIRO    ficheiro de configuração: lê stateDir, modelsDir, os limiares de
                       vision e matching.calibrationFile / targetFpir
  --state DIR          diretório de estado (predefinido: stateDir de --config, senão
                       /var/lib/facegate)

Códigos de saída: 0 registado, 1 fotografia ou pessoa rejeitada, 2 erro de uso, 4 dispositivo não configurado.`,
};
