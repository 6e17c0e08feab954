import type { Locale } from '../../i18n/locale.js';

/** `facegate consent --help` in each language; technicians in Macau read Traditional Chinese first. */
export const CONSENT_HELP: Record<Locale, string> = {
  en: `Usage: facegate consent grant --subject ID --witness NAME [--accept-face-recognition] [options]
       facegate consent withdraw --subject ID --witness NAME [options]
       facegate consent verify RECEIPT --public-key FILE
       facegate consent show ID [--json] [--state DIR]
       facegate consent technician --user NAME [--state DIR]   < password
       facegate consent pin --subject ID [--state DIR]          < PIN
       facegate consent badge --subject ID --badge ID [--state DIR]

grant     prints the consent forms of the worker's track (chosen by the domicile on the roster)
          in full, then records the consent the technician NAME witnessed, and prints the
          receipt signed by the device key. --accept-face-recognition is the worker's separate,
          explicit choice for facial recognition; without it nothing is recorded.
withdraw  withdraws the worker's consent, destroys their templates by deleting their key, and
          prints a signed withdrawal receipt. The running daemon drops the worker from its
          matcher within consent.withdrawalCheckS seconds. PIN and badge keep working.
verify    checks a receipt (a file, or - for standard input) offline against the device's
          signing public key, and prints what it records. The receipt is the JWS text or
          the FGR1: text scanned from the QR code on the printed receipt.
show      lists the worker's consents, withdrawn ones included, with every recorded step.
technician  sets a kiosk technician's password (at least 10 characters), read from
          standard input and stored as an scrypt hash.
pin       sets the worker's PIN (4 to 12 digits) for the keypad and kiosk withdrawal,
          read from standard input and stored as an scrypt hash.
badge     assigns a badge to the worker: the number a USB reader types, or
          FACILITY:CARD for a Wiegand reader.

  --form-lang LANG       language of the forms: zh-Hant, zh-Hans, en or pt (default: by domicile)
  --controller TEXT      data controller named on the forms (default: consent.controller)
  --contact TEXT         controller's contact (default: consent.contact)
  --retention-days N     days stated on the forms (default: consent.retentionDays, 30)
  --receipt-out FILE     also write the receipt to FILE
  --config FILE          read the state folder and consent settings from this configuration
  --state DIR            state directory (default /var/lib/facegate)

Exit codes: 0 done, 1 rejected (no roster entry, consent missing or invalid receipt), 2 usage error.`,

  'zh-Hant': `用法：facegate consent grant --subject 編號 --witness 姓名 [--accept-face-recognition] [選項]
      facegate consent withdraw --subject 編號 --witness 姓名 [選項]
      facegate consent verify 收據 --public-key 檔案
      facegate consent show 編號 [--json] [--state 目錄]
      facegate consent technician --user 姓名 [--state 目錄]   < 密碼
      facegate consent pin --subject 編號 [--state 目錄]        < PIN
      facegate consent badge --subject 編號 --badge 卡號 [--state 目錄]

grant       完整列出該員工適用的同意書（依人員名冊上的居住地選擇），再記錄由技術員「姓名」
            見證的同意，並列出以裝置金鑰簽署的收據。--accept-face-recognition 是員工對人臉
            辨識另行作出的明確選擇；沒有這個選項，不會記錄任何內容。
withdraw    撤回員工的同意，刪除其專屬金鑰以銷毀其範本，並列出已簽署的撤回收據。
            運行中的服務會在 consent.withdrawalCheckS 秒內將該員工移出比對。PIN 及工作證照常可用。
verify      以裝置的簽署公鑰離線核對收據（檔案，或以 - 代表標準輸入），並列出收據記錄的內容。
            收據可以是 JWS 文字，或從列印收據上的 QR 碼掃出的 FGR1: 文字。
show        列出該員工的所有同意（包括已撤回的），以及每個已記錄的步驟。
technician  設定自助登記機技術員的密碼（最少 10 個字元），從標準輸入讀取，以 scrypt 雜湊儲存。
pin         設定員工的 PIN（4 至 12 位數字），用於鍵盤打卡及在自助登記機撤回同意，
            從標準輸入讀取，以 scrypt 雜湊儲存。
badge       為員工指定工作證：USB 讀卡器輸入的號碼，或韋根（Wiegand）讀卡器的「設施碼:卡號」。

  --form-lang 語言        同意書語言：zh-Hant、zh-Hans、en 或 pt（預設：依居住地）
  --controller 文字       同意書上列明的資料控制者（預設：consent.controller）
  --contact 文字          資料控制者的聯絡方式（預設：consent.contact）
  --retention-days 天數   同意書上列明的保存天數（預設：consent.retentionDays，30）
  --receipt-out 檔案      同時把收據寫入此檔案
  --config 檔案           從此設定檔讀取狀態目錄及同意設定
  --state 目錄            狀態目錄（預設 /var/lib/facegate）

結束代碼：0 完成，1 被拒（名冊上沒有此人、沒有同意或收據無效），2 用法錯誤。`,

  'zh-Hans': `用法：facegate consent grant --subject 编号 --witness 姓名 [--accept-face-recognition] [选项]
      facegate consent withdraw --subject 编号 --witness 姓名 [选项]
      facegate consent verify 回执 --public-key 文件
      facegate consent show 编号 [--json] [--state 目录]
      facegate consent technician --user 姓名 [--state 目录]   < 密码
      facegate consent pin --subject 编号 [--state 目录]        < PIN
      facegate consent badge --subject 编号 --badge 卡号 [--state 目录]

grant       完整列出该员工适用的同意书（按人员名册上的居住地选择），再记录由技术员“姓名”
            见证的同意，并列出以设备密钥签名的回执。--accept-face-recognition 是员工对人脸
            识别单独作出的明确选择；没有这个选项，不会记录任何内容。
withdraw    撤回员工的同意，删除其专属密钥以销毁其模板，并列出已签名的撤回回执。
            运行中的服务会在 consent.withdrawalCheckS 秒内将该员工移出比对。PIN 及工作证照常可用。
verify      用设备的签名公钥离线核对回执（文件，或用 - 表示标准输入），并列出回执记录的内容。
            回执可以是 JWS 文本，或从打印回执上的二维码扫出的 FGR1: 文本。
show        列出该员工的所有同意（包括已撤回的），以及每个已记录的步骤。
technician  设置登记终端技术员的密码（至少 10 个字符），从标准输入读取，以 scrypt 哈希保存。
pin         设置员工的 PIN（4 至 12 位数字），用于键盘打卡及在登记终端撤回同意，
            从标准输入读取，以 scrypt 哈希保存。
badge       为员工指定工作证：USB 读卡器输入的号码，或韦根（Wiegand）读卡器的“设施码:卡号”。

  --form-lang 语言        同意书语言：zh-Hant、zh-Hans、en 或 pt（默认：按居住地）
  --controller 文字       同意书上列明的数据控制者（默认：consent.controller）
  --contact 文字          数据控制者的联系方式（默认：consent.contact）
  --retention-days 天数   同意书上列明的保存天数（默认：consent.retentionDays，30）
  --receipt-out 文件      同时把回执写入此文件
  --config 文件           从此配置文件读取状态目录及同意设置
  --state 目录            状态目录（默认 /var/lib/facegate）

退出代码：0 完成，1 被拒（名册上没有此人、没有同意或回执无效），2 用法错误。`,

  pt: `Uso: facegate consent grant --subject ID --witness NOME [--accept-face-recognition] [opções]
     facegate consent withdraw --subject ID --witness NOME [opções]
     facegate consent verify RECIBO --public-key FICHEIRO
     facegate consent show ID [--json] [--state PASTA]
     facegate consent technician --user NOME [--state PASTA]   < palavra-passe
     facegate consent pin --subject ID [--state PASTA]          < PIN
     facegate consent badge --subject ID --badge ID [--state PASTA]

grant       mostra na íntegra os formulários de consentimento do trabalhador (escolhidos pelo
            domicílio na lista de pessoal), regista o consentimento testemunhado pelo técnico
            NOME e mostra o recibo assinado pela chave do dispositivo. --accept-face-recognition
            é a escolha separada e explícita do trabalhador para o reconhecimento facial; sem
            ela nada é registado.
withdraw    retira o consentimento do trabalhador, destrói os seus modelos apagando a sua chave
            e mostra um recibo de retirada assinado. O serviço em execução deixa de reconhecer
            o trabalhador em consent.withdrawalCheckS segundos. O PIN e o cartão continuam a
            funcionar.
verify      verifica um recibo (um ficheiro, ou - para a entrada padrão) sem rede, com a chave
            pública de assinatura do dispositivo, e mostra o que regista. O recibo é o texto
            JWS ou o texto FGR1: lido do código QR do recibo impresso.
show        lista os consentimentos do trabalhador, incluindo os retirados, com cada passo
            registado.
technician  define a palavra-passe de um técnico do quiosque (pelo menos 10 caracteres), lida
            da entrada padrão e guardada como hash scrypt.
pin         define o PIN do trabalhador (4 a 12 dígitos) para o teclado e para retirar o
            consentimento no quiosque, lido da entrada padrão e guardado como hash scrypt.
badge       atribui um cartão ao trabalhador: o número que um leitor USB escreve, ou
            INSTALAÇÃO:CARTÃO para um leitor Wiegand.

  --form-lang LÍNGUA     língua dos formulários: zh-Hant, zh-Hans, en ou pt (por omissão: pelo domicílio)
  --controller TEXTO     responsável pelo tratamento indicado nos formulários (por omissão: consent.controller)
  --contact TEXTO        contacto do responsável (por omissão: consent.contact)
  --retention-days N     dias indicados nos formulários (por omissão: consent.retentionDays, 30)
  --receipt-out FICHEIRO escreve também o recibo em FICHEIRO
  --config FICHEIRO      lê a pasta de estado e as definições de consentimento desta configuração
  --state PASTA          pasta de estado (por omissão /var/lib/facegate)

Códigos de saída: 0 feito, 1 recusado (sem entrada na lista, consentimento em falta ou recibo
inválido), 2 erro de uso.`,
};
