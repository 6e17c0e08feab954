import type { Locale } from '../../appliance/i18n/locale.js';

/** Help for `facegate fleet command` and `facegate fleet operator-key`, appended to `facegate fleet --help`. */
export const COMMAND_HELP: Record<Locale, string> = {
  en: `Usage: facegate fleet command --config FILE --site SITE --device DEVICE --name NAME
         [--arg KEY=VALUE ...] --operator-key KEY.pem [--operator NAME]
         [--expires 10m] [--wait 30s] [--json]
       facegate fleet operator-key create --out DIR [--name NAME]

"command" signs a remote command with the operator's private key, publishes it
at QoS 1 and, with --wait, prints the device's verified result. Commands:
withdraw-consent (--arg subject=WORKER --arg reason=TEXT), reload-gallery, ping.
--expires is the command's validity (at most 24h); --wait how long to wait for
the result (at most 10m). The operator name is the key file name without
.private.pem unless --operator gives it. Exit code 0 when the device reports
done, 1 when it reports rejected or failed or sends no result in time.
"operator-key create" writes NAME.private.pem (mode 0600) and NAME.public.pem;
copy the public key into keys.operatorKeysDir on each device. docs/commands.md
describes the commands and their checks.`,
  'zh-Hant': `用法：facegate fleet command --config 檔案 --site 場地 --device 裝置 --name 指令
         [--arg 名稱=值 ...] --operator-key 金鑰.pem [--operator 名稱]
         [--expires 10m] [--wait 30s] [--json]
      facegate fleet operator-key create --out 資料夾 [--name 名稱]

「command」以操作員的私密金鑰簽署遠端指令，以 QoS 1 發出，加上 --wait 時列印裝置經驗證的結果。
指令：withdraw-consent（--arg subject=員工編號 --arg reason=原因）、reload-gallery、ping。
--expires 為指令的有效時間（最長 24h）；--wait 為等候結果的時間（最長 10m）。操作員名稱為金鑰
檔名去掉 .private.pem，或以 --operator 指定。裝置回報 done 時結束代碼為 0；回報 rejected 或
failed，或未及時回覆時為 1。「operator-key create」寫出 名稱.private.pem（權限 0600）及
名稱.public.pem；請把公開金鑰複製到每部裝置的 keys.operatorKeysDir。詳見 docs/commands.md。`,
  'zh-Hans': `用法：facegate fleet command --config 文件 --site 站点 --device 设备 --name 指令
         [--arg 名称=值 ...] --operator-key 密钥.pem [--operator 名称]
         [--expires 10m] [--wait 30s] [--json]
      facegate fleet operator-key create --out 文件夹 [--name 名称]

“command”用操作员的私钥签署远程指令，以 QoS 1 发出，加上 --wait 时打印设备经验证的结果。
指令：withdraw-consent（--arg subject=员工编号 --arg reason=原因）、reload-gallery、ping。
--expires 为指令的有效时间（最长 24h）；--wait 为等待结果的时间（最长 10m）。操作员名称为密钥
文件名去掉 .private.pem，或用 --operator 指定。设备报告 done 时退出代码为 0；报告 rejected 或
failed，或未及时回复时为 1。“operator-key create”写出 名称.private.pem（权限 0600）及
名称.public.pem；请把公钥复制到每台设备的 keys.operatorKeysDir。详见 docs/commands.md。`,
  pt: `Uso: facegate fleet command --config FICHEIRO --site LOCAL --device DISPOSITIVO --name NOME
         [--arg CHAVE=VALOR ...] --operator-key CHAVE.pem [--operator NOME]
         [--expires 10m] [--wait 30s] [--json]
     facegate fleet operator-key create --out PASTA [--name NOME]

"command" assina um comando remoto com a chave privada do operador, publica-o com QoS 1 e, com
--wait, mostra o resultado verificado do dispositivo. Comandos: withdraw-consent (--arg
subject=TRABALHADOR --arg reason=TEXTO), reload-gallery, ping. --expires é a validade do comando
(no máximo 24h); --wait o tempo de espera pelo resultado (no máximo 10m). O nome do operador é o
nome do ficheiro da chave sem .private.pem, salvo se --operator o indicar. Código de saída 0 quando
o dispositivo responde done, 1 quando responde rejected ou failed ou não responde a tempo.
"operator-key create" escreve NOME.private.pem (modo 0600) e NOME.public.pem; copie a chave pública
para keys.operatorKeysDir em cada dispositivo. docs/commands.md descreve os comandos.`,
};
