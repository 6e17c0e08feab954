import { defineMessages } from '../i18n/translate.js';

// Messages of the enrolment checks and of the receipt and audit key errors of `consent verify` and
// `audit verify`. Error entries are keyed by FacegateError code, and `<code>.hint` contains the fix.
// The usage errors of `facegate enroll` are under `usage.enroll.*`.
const en = {
  'enroll.liveness_failed': '{file} scored {liveness} on liveness, below the threshold {threshold}: it may be a printed photo or a screen, so nothing was stored',
  'enroll.liveness_failed.hint': 'Photograph the worker in person. Only for a scanned ID photo, pass --allow-not-live. The audit log then records the override and the scores.',
  'enroll.subject_mismatch': '{file} does not match the templates already stored for {subject} (best similarity {score}, threshold {threshold}), so nothing was stored',
  'enroll.subject_mismatch.hint': 'Check that the photo shows worker {subject}. If the stored templates show someone else, remove them with "facegate gallery remove {subject}" and enrol again.',
  'enroll.photos_disagree': '{file} and {other} do not show the same person (similarity {score}, threshold {threshold}), so nothing was stored',
  'enroll.photos_disagree.hint': 'Give only photos of one worker in one enrolment.',
  'enroll.no_reference': 'subject {subject} is enrolled, but none of its {stored} stored template(s) can be read with the installed face model, so the new photos cannot be checked against them',
  'enroll.no_reference.hint': 'Remove the worker with "facegate gallery remove {subject}" and enrol again without --add.',
  'enroll.not-live-allowed': '{file} scored {liveness} on liveness, below the threshold {threshold}. It is stored because of --allow-not-live, and the audit log records the override.',
  'enroll.subject-match': '  {file}: matches the stored templates of {subject} (similarity {score}, threshold {threshold})',
  'consent.receipt_unreadable': 'cannot read the receipt file {file} ({reason})',
  'consent.receipt_unreadable.hint': 'Check the file name. Pass the file written by "facegate consent grant --receipt-out FILE", or - to read the receipt from standard input.',
  'audit.key_wrong_type': '{file} contains a key of type {type}, but checkpoints are signed with the device\'s Ed25519 signing key',
  'audit.key_wrong_type.hint': 'Pass the device\'s signing public key with --key: keys/device-signing-key.pub.pem in the device state folder. The fleet key is for encryption only.',
  'usage.enroll.subject': '--subject ID is required',
  'usage.enroll.photo': 'at least one --photo FILE is required',
  'usage.enroll.photo-max': 'at most {max} --photo files per enrolment, got {count}',
} as const;

type Key = keyof typeof en;

const zhHant: Record<Key, string> = {
  'enroll.liveness_failed': '{file} 的活體分數為 {liveness}，低於門檻 {threshold}：可能是列印的照片或螢幕，因此一概不儲存',
  'enroll.liveness_failed.hint': '請現場拍攝該員工。只有掃描的證件照片才可加上 --allow-not-live；稽核紀錄會記下此例外及分數。',
  'enroll.subject_mismatch': '{file} 與人員 {subject} 已儲存的範本不相符（最高相似度 {score}，門檻 {threshold}），因此一概不儲存',
  'enroll.subject_mismatch.hint': '請確認照片中的人是員工 {subject}。如已儲存的範本是另一個人，請以「facegate gallery remove {subject}」刪除後重新登記。',
  'enroll.photos_disagree': '{file} 與 {other} 不是同一個人（相似度 {score}，門檻 {threshold}），因此一概不儲存',
  'enroll.photos_disagree.hint': '每次登記只可提供同一名員工的照片。',
  'enroll.no_reference': '人員 {subject} 已登記，但其 {stored} 個已儲存範本都無法以目前安裝的人臉模型讀取，因此無法與新照片比對',
  'enroll.no_reference.hint': '請以「facegate gallery remove {subject}」刪除該員工，再不加 --add 重新登記。',
  'enroll.not-live-allowed': '{file} 的活體分數為 {liveness}，低於門檻 {threshold}；因指定了 --allow-not-live 仍會儲存，稽核紀錄會記下此例外。',
  'enroll.subject-match': '  {file}：與人員 {subject} 已儲存的範本相符（相似度 {score}，門檻 {threshold}）',
  'consent.receipt_unreadable': '無法讀取收據檔案 {file}（{reason}）',
  'consent.receipt_unreadable.hint': '請檢查檔案名稱。請提供「facegate consent grant --receipt-out 檔案」寫出的檔案，或以 - 從標準輸入讀取收據。',
  'audit.key_wrong_type': '{file} 的金鑰類型是 {type}，但檢查點是以裝置的 Ed25519 簽署金鑰簽署的',
  'audit.key_wrong_type.hint': '請以 --key 指定裝置的簽署公鑰：裝置狀態目錄中的 keys/device-signing-key.pub.pem。車隊金鑰只用於加密。',
  'usage.enroll.subject': '必須提供 --subject 編號',
  'usage.enroll.photo': '至少需要一個 --photo 檔案',
  'usage.enroll.photo-max': '每次登記最多 {max} 個 --photo 檔案，收到 {count} 個',
};

const zhHans: Record<Key, string> = {
  'enroll.liveness_failed': '{file} 的活体分数为 {liveness}，低于阈值 {threshold}：可能是打印的照片或屏幕，因此一概不保存',
  'enroll.liveness_failed.hint': '请现场拍摄该员工。只有扫描的证件照片才可加上 --allow-not-live；审计记录会记下此例外及分数。',
  'enroll.subject_mismatch': '{file} 与人员 {subject} 已保存的模板不相符（最高相似度 {score}，阈值 {threshold}），因此一概不保存',
  'enroll.subject_mismatch.hint': '请确认照片中的人是员工 {subject}。如已保存的模板是另一个人，请用“facegate gallery remove {subject}”删除后重新登记。',
  'enroll.photos_disagree': '{file} 与 {other} 不是同一个人（相似度 {score}，阈值 {threshold}），因此一概不保存',
  'enroll.photos_disagree.hint': '每次登记只可提供同一名员工的照片。',
  'enroll.no_reference': '人员 {subject} 已登记，但其 {stored} 个已保存模板都无法用当前安装的人脸模型读取，因此无法与新照片比对',
  'enroll.no_reference.hint': '请用“facegate gallery remove {subject}”删除该员工，再不加 --add 重新登记。',
  'enroll.not-live-allowed': '{file} 的活体分数为 {liveness}，低于阈值 {threshold}；因指定了 --allow-not-live 仍会保存，审计记录会记下此例外。',
  'enroll.subject-match': '  {file}：与人员 {subject} 已保存的模板相符（相似度 {score}，阈值 {threshold}）',
  'consent.receipt_unreadable': '无法读取回执文件 {file}（{reason}）',
  'consent.receipt_unreadable.hint': '请检查文件名。请提供“facegate consent grant --receipt-out 文件”写出的文件，或用 - 从标准输入读取回执。',
  'audit.key_wrong_type': '{file} 的密钥类型是 {type}，但检查点是用设备的 Ed25519 签名密钥签名的',
  'audit.key_wrong_type.hint': '请用 --key 指定设备的签名公钥：设备状态目录中的 keys/device-signing-key.pub.pem。车队密钥只用于加密。',
  'usage.enroll.subject': '必须提供 --subject 编号',
  'usage.enroll.photo': '至少需要一个 --photo 文件',
  'usage.enroll.photo-max': '每次登记最多 {max} 个 --photo 文件，收到 {count} 个',
};

const pt: Record<Key, string> = {
  'enroll.liveness_failed': '{file} obteve {liveness} de vivacidade, abaixo do limiar {threshold}: pode ser uma fotografia impressa ou um ecrã, por isso nada foi guardado',
  'enroll.liveness_failed.hint': 'Fotografe o trabalhador presencialmente. Só para uma fotografia de documento digitalizada, use --allow-not-live; o registo de auditoria guarda então a exceção e as pontuações.',
  'enroll.subject_mismatch': '{file} não corresponde aos modelos já guardados de {subject} (melhor semelhança {score}, limiar {threshold}), por isso nada foi guardado',
  'enroll.subject_mismatch.hint': 'Verifique que a fotografia mostra o trabalhador {subject}. Se os modelos guardados mostram outra pessoa, remova-os com "facegate gallery remove {subject}" e registe de novo.',
  'enroll.photos_disagree': '{file} e {other} não mostram a mesma pessoa (semelhança {score}, limiar {threshold}), por isso nada foi guardado',
  'enroll.photos_disagree.hint': 'Num registo, dê apenas fotografias de um trabalhador.',
  'enroll.no_reference': 'a pessoa {subject} está registada, mas nenhum dos seus {stored} modelo(s) guardado(s) pode ser lido com o modelo facial instalado, por isso as novas fotografias não podem ser comparadas com eles',
  'enroll.no_reference.hint': 'Remova o trabalhador com "facegate gallery remove {subject}" e registe-o de novo sem --add.',
  'enroll.not-live-allowed': '{file} obteve {liveness} de vivacidade, abaixo do limiar {threshold}; guardado por causa de --allow-not-live, e o registo de auditoria guarda a exceção.',
  'enroll.subject-match': '  {file}: corresponde aos modelos guardados de {subject} (semelhança {score}, limiar {threshold})',
  'consent.receipt_unreadable': 'não é possível ler o ficheiro de recibo {file} ({reason})',
  'consent.receipt_unreadable.hint': 'Verifique o nome do ficheiro. Indique o ficheiro escrito por "facegate consent grant --receipt-out FICHEIRO", ou - para ler o recibo da entrada padrão.',
  'audit.key_wrong_type': '{file} contém uma chave {type}, mas os pontos de verificação são assinados com a chave de assinatura Ed25519 do dispositivo',
  'audit.key_wrong_type.hint': 'Indique com --key a chave pública de assinatura do dispositivo: keys/device-signing-key.pub.pem na pasta de estado do dispositivo. A chave da frota serve só para cifrar.',
  'usage.enroll.subject': '--subject ID é obrigatório',
  'usage.enroll.photo': 'é obrigatório pelo menos um --photo FICHEIRO',
  'usage.enroll.photo-max': 'no máximo {max} ficheiros --photo por registo, recebidos {count}',
};

export const enrollMessages = defineMessages<Key>({ en, 'zh-Hant': zhHant, 'zh-Hans': zhHans, pt });
export type EnrollMessageKey = Key;
