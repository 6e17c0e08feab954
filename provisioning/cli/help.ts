import type { Locale } from '../../appliance/i18n/locale.js';

export const PROVISION_SUMMARY: Record<Locale, string> = {
  en: 'provision a device: identity, certificates, configuration, self-test, roster',
  'zh-Hant': '佈建設備：身分、憑證、設定、自我測試、名冊',
  'zh-Hans': '部署设备：身份、证书、配置、自检、名册',
  pt: 'aprovisionar um dispositivo: identidade, certificados, configuração, autoteste, lista',
};

const en = `Usage: facegate provision SUBCOMMAND [options]

On the device, in this order:
  init --site SITE --device ID [--owner USER]
        Make the signing key, the TLS key and a certificate request (tls/client.csr)
        on the device. The keys never leave it and are never printed.
  install-cert --cert FILE --ca FILE --fleet-key FILE [--client-ca FILE]
        Check the device certificate (its key, CN, dates, issuer and use) and install
        it with the broker CA and the fleet public key. Nothing changes if a check fails.
  configure [settings] [--interactive | --non-interactive]
        Write the configuration (default /etc/facegate/facegate.yaml), validated as the
        daemon validates it; the previous file is kept as FILE.<time>.bak. With no
        settings on a terminal it asks for each one. Settings: --device --site
        --direction in|out --locale --camera TYPE --camera-device --camera-url
        --camera-path --camera-loop --width --height --fps --gpio chardev|sysfs|simulated
        --gpio-chip --relay LINE --relay-polarity active-high|active-low --pulse-ms
        --led-green/--led-red/--led-amber LINE|none --led-polarity --buzzer LINE|none
        --exit-button LINE|none --door-contact LINE|none --door-open-level high|low
        --held-open-ms --broker mqtts://HOST:PORT --allowed-broker HOST (repeat)
        --votes --debounce-ms --liveness-threshold --min-detection-score
        --target-fpir --min-margin --controller TEXT --contact TEXT (named on the
        consent forms). A LINE is a name (GPIO17) or chip:offset.
  selftest [--non-interactive] [--skip gpio,camera,vision,broker,clock]
           [--frames N] [--input-timeout S] [--json]
        Click the relay, cycle the LEDs and buzzer, read the exit button and door
        contact, grab frames and look for a face, time the models, connect to the
        broker and check the clock; prints a pass/fail table with what to check.
  roster import FILE.csv [--replace] | roster list [--json]
        Load workers (worker_id,display_name,domicile: macau, mainland or other).
        Any invalid line rejects the whole file, with the line numbers.
  status [--json] [--warn-days N]
        Identity, certificate validity (warns N days before expiry, 30 by default),
        configuration, models and their sha256, gallery, outbox, roster.
  rotate-keys [--cancel]
        Make new keys and a new request; the current keys stay in use until
        install-cert installs the certificate for the new request.
  factory-reset [--yes-destroy-everything]
        Overwrite and delete keys, certificates, templates, outbox and roster.
        This cannot be undone. Asks for the device id unless the option is given.

On the machine that holds the site CA (a laptop or the site server):
  ca --dir DIR [--name NAME] [--days N] [--passphrase-file FILE]
        Create a small site CA for sites without a PKI.
  sign CSR --ca-dir DIR [--out FILE] [--days N] [--server --host NAME ...]
        Sign a device request (client certificate, 397 days by default), or with
        --server a broker certificate for the names given.

Every device subcommand takes --state DIR (default /var/lib/facegate) and
--config FILE (default /etc/facegate/facegate.yaml). Language: --lang, then
FACEGATE_LANG, then device.locale from the configuration, then the POSIX locale.
Exit codes: 0 done, 1 input rejected or a check failed, 2 usage error,
4 device not set up. docs/provisioning.md walks through the whole flow.`;

const zhHant = `用法：facegate provision 子指令 [選項]

在設備上依序執行：
  init --site 場地 --device 編號 [--owner 使用者]
        在設備上產生簽章金鑰、TLS 金鑰及憑證簽署要求（tls/client.csr）。
        金鑰不會離開設備，也不會顯示。
  install-cert --cert 檔案 --ca 檔案 --fleet-key 檔案 [--client-ca 檔案]
        檢查設備憑證（金鑰、CN、有效期、簽發者及用途），並與代理伺服器 CA
        及管理平台公鑰一併安裝。任何檢查失敗都不會更改設備。
  configure [設定] [--interactive | --non-interactive]
        寫入設定檔（預設 /etc/facegate/facegate.yaml），以常駐程式相同的規則
        檢查；原有檔案保留為 檔案.<時間>.bak。在終端機上不帶設定執行時，會逐項
        詢問。設定選項：--device --site --direction in|out --locale
        --camera 類型 --camera-device --camera-url --camera-path --camera-loop
        --width --height --fps --gpio chardev|sysfs|simulated --gpio-chip
        --relay 線路 --relay-polarity active-high|active-low --pulse-ms
        --led-green/--led-red/--led-amber 線路|none --led-polarity
        --buzzer 線路|none --exit-button 線路|none --door-contact 線路|none
        --door-open-level high|low --held-open-ms --broker mqtts://主機:連接埠
        --allowed-broker 主機（可重複）--votes --debounce-ms --liveness-threshold
        --min-detection-score --target-fpir --min-margin --controller 文字
        --contact 文字（列於同意書上）。線路可寫名稱（GPIO17）或 chip:offset。
  selftest [--non-interactive] [--skip gpio,camera,vision,broker,clock]
           [--frames 數目] [--input-timeout 秒] [--json]
        觸發繼電器、輪流點亮 LED 及蜂鳴器、讀取出門按鈕及門磁、擷取影格並偵測
        人臉、量度模型推論時間、連線代理伺服器並檢查時鐘；列出通過／失敗表及
        每項失敗要檢查的地方。
  roster import 檔案.csv [--replace] | roster list [--json]
        匯入員工（worker_id,display_name,domicile：macau、mainland 或 other）。
        任何一行無效都會拒絕整個檔案，並列出行號。
  status [--json] [--warn-days 天數]
        身分、憑證有效期（到期前 N 天警告，預設 30 天）、設定、模型及其
        sha256、人臉庫、待發佇列、名冊。
  rotate-keys [--cancel]
        產生新金鑰及新的簽署要求；在 install-cert 安裝新要求的憑證前，繼續使用
        目前的金鑰。
  factory-reset [--yes-destroy-everything]
        覆寫並刪除金鑰、憑證、範本、待發佇列及名冊。此操作無法復原。
        除非加上該選項，否則需要輸入設備編號確認。

在存放場地 CA 的電腦（手提電腦或場地伺服器）上：
  ca --dir 目錄 [--name 名稱] [--days 天數] [--passphrase-file 檔案]
        為沒有 PKI 的場地建立小型場地 CA。
  sign 簽署要求 --ca-dir 目錄 [--out 檔案] [--days 天數] [--server --host 名稱 ...]
        簽署設備要求（用戶端憑證，預設 397 天），或加上 --server 為指定名稱
        簽發代理伺服器憑證。

所有設備子指令都接受 --state 目錄（預設 /var/lib/facegate）及 --config 檔案
（預設 /etc/facegate/facegate.yaml）。語言：--lang，其次 FACEGATE_LANG，
再其次設定中的 device.locale，最後是 POSIX 語系。
結束代碼：0 完成，1 輸入被拒絕或檢查失敗，2 用法錯誤，4 設備尚未設定。
docs/provisioning.md 說明整個流程。`;

const zhHans = `用法：facegate provision 子命令 [选项]

在设备上依次运行：
  init --site 场地 --device 编号 [--owner 用户]
        在设备上生成签名密钥、TLS 密钥及证书签名请求（tls/client.csr）。
        密钥不会离开设备，也不会显示。
  install-cert --cert 文件 --ca 文件 --fleet-key 文件 [--client-ca 文件]
        检查设备证书（密钥、CN、有效期、签发者及用途），并与代理服务器 CA
        及管理平台公钥一起安装。任何检查失败都不会改动设备。
  configure [设置] [--interactive | --non-interactive]
        写入配置文件（默认 /etc/facegate/facegate.yaml），按守护进程相同的规则
        检查；原有文件保留为 文件.<时间>.bak。在终端上不带设置运行时，会逐项
        询问。设置选项：--device --site --direction in|out --locale
        --camera 类型 --camera-device --camera-url --camera-path --camera-loop
        --width --height --fps --gpio chardev|sysfs|simulated --gpio-chip
        --relay 线路 --relay-polarity active-high|active-low --pulse-ms
        --led-green/--led-red/--led-amber 线路|none --led-polarity
        --buzzer 线路|none --exit-button 线路|none --door-contact 线路|none
        --door-open-level high|low --held-open-ms --broker mqtts://主机:端口
        --allowed-broker 主机（可重复）--votes --debounce-ms --liveness-threshold
        --min-detection-score --target-fpir --min-margin --controller 文字
        --contact 文字（列于同意书上）。线路可写名称（GPIO17）或 chip:offset。
  selftest [--non-interactive] [--skip gpio,camera,vision,broker,clock]
           [--frames 数目] [--input-timeout 秒] [--json]
        触发继电器、轮流点亮 LED 及蜂鸣器、读取出门按钮及门磁、采集画面并检测
        人脸、测量模型推理时间、连接代理服务器并检查时钟；列出通过／失败表及
        每项失败要检查的地方。
  roster import 文件.csv [--replace] | roster list [--json]
        导入员工（worker_id,display_name,domicile：macau、mainland 或 other）。
        任何一行无效都会拒绝整个文件，并列出行号。
  status [--json] [--warn-days 天数]
        身份、证书有效期（到期前 N 天警告，默认 30 天）、配置、模型及其
        sha256、人脸库、待发队列、名册。
  rotate-keys [--cancel]
        生成新密钥及新的签名请求；在 install-cert 安装新请求的证书前，继续使用
        当前密钥。
  factory-reset [--yes-destroy-everything]
        覆写并删除密钥、证书、模板、待发队列及名册。此操作无法恢复。
        除非加上该选项，否则需要输入设备编号确认。

在存放场地 CA 的电脑（笔记本电脑或场地服务器）上：
  ca --dir 目录 [--name 名称] [--days 天数] [--passphrase-file 文件]
        为没有 PKI 的场地创建小型场地 CA。
  sign 签名请求 --ca-dir 目录 [--out 文件] [--days 天数] [--server --host 名称 ...]
        签署设备请求（客户端证书，默认 397 天），或加上 --server 为指定名称
        签发代理服务器证书。

所有设备子命令都接受 --state 目录（默认 /var/lib/facegate）及 --config 文件
（默认 /etc/facegate/facegate.yaml）。语言：--lang，其次 FACEGATE_LANG，
再其次配置中的 device.locale，最后是 POSIX 语言环境。
退出代码：0 完成，1 输入被拒绝或检查失败，2 用法错误，4 设备尚未设置。
docs/provisioning.md 说明整个流程。`;

const pt = `Uso: facegate provision SUBCOMANDO [opções]

No dispositivo, por esta ordem:
  init --site LOCAL --device ID [--owner UTILIZADOR]
        Cria no dispositivo a chave de assinatura, a chave TLS e um pedido de
        certificado (tls/client.csr). As chaves nunca saem dele nem são mostradas.
  install-cert --cert FICHEIRO --ca FICHEIRO --fleet-key FICHEIRO [--client-ca FICHEIRO]
        Verifica o certificado (chave, CN, datas, emissor e utilização) e instala-o
        com a CA do broker e a chave pública da frota. Nada muda se algo falhar.
  configure [definições] [--interactive | --non-interactive]
        Escreve a configuração (por omissão /etc/facegate/facegate.yaml), validada
        como o serviço a valida; o ficheiro anterior fica como FICHEIRO.<hora>.bak.
        Sem definições num terminal, pergunta cada uma. Definições: --device --site
        --direction in|out --locale --camera TIPO --camera-device --camera-url
        --camera-path --camera-loop --width --height --fps
        --gpio chardev|sysfs|simulated --gpio-chip --relay LINHA
        --relay-polarity active-high|active-low --pulse-ms
        --led-green/--led-red/--led-amber LINHA|none --led-polarity
        --buzzer LINHA|none --exit-button LINHA|none --door-contact LINHA|none
        --door-open-level high|low --held-open-ms --broker mqtts://ANFITRIÃO:PORTA
        --allowed-broker ANFITRIÃO (repetível) --votes --debounce-ms
        --liveness-threshold --min-detection-score --target-fpir --min-margin
        --controller TEXTO --contact TEXTO (indicados nos formulários de
        consentimento). Uma LINHA é um nome (GPIO17) ou chip:offset.
  selftest [--non-interactive] [--skip gpio,camera,vision,broker,clock]
           [--frames N] [--input-timeout S] [--json]
        Aciona o relé, os LED e o besouro, lê o botão de saída e o contacto da
        porta, capta imagens e procura um rosto, mede os modelos, liga ao broker e
        verifica o relógio; mostra uma tabela com o que verificar em cada falha.
  roster import FICHEIRO.csv [--replace] | roster list [--json]
        Carrega trabalhadores (worker_id,display_name,domicile: macau, mainland
        ou other). Uma linha inválida rejeita o ficheiro inteiro, com os números.
  status [--json] [--warn-days N]
        Identidade, validade do certificado (avisa N dias antes, 30 por omissão),
        configuração, modelos e sha256, galeria, fila de saída, lista.
  rotate-keys [--cancel]
        Cria chaves e pedido novos; as chaves atuais continuam em uso até o
        install-cert instalar o certificado do novo pedido.
  factory-reset [--yes-destroy-everything]
        Sobrescreve e apaga chaves, certificados, modelos faciais, fila de saída e
        lista. Não pode ser desfeito. Pede o identificador sem essa opção.

Na máquina com a CA do local (portátil ou servidor do local):
  ca --dir PASTA [--name NOME] [--days N] [--passphrase-file FICHEIRO]
        Cria uma pequena CA para locais sem PKI.
  sign CSR --ca-dir PASTA [--out FICHEIRO] [--days N] [--server --host NOME ...]
        Assina um pedido de dispositivo (certificado de cliente, 397 dias por
        omissão), ou com --server um certificado de broker para os nomes dados.

Os subcomandos do dispositivo aceitam --state PASTA (por omissão /var/lib/facegate)
e --config FICHEIRO (por omissão /etc/facegate/facegate.yaml). Língua: --lang,
depois FACEGATE_LANG, depois device.locale da configuração, depois o locale POSIX.
Códigos de saída: 0 feito, 1 entrada rejeitada ou verificação falhada, 2 erro de
uso, 4 dispositivo não configurado. docs/provisioning.md descreve o fluxo todo.`;

export const PROVISION_HELP: Record<Locale, string> = { en, 'zh-Hant': zhHant, 'zh-Hans': zhHans, pt };
