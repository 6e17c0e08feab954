import { defineMessages } from '../appliance/i18n/translate.js';

// Key file errors of protocol/keys.ts, keyed by FacegateError code with a `.hint` beside each.
// keys.ts builds the English message for logs; the CLI prints these entries, English included.
export const protocolMessages = defineMessages({
  en: {
    KEY_FILE_MISSING: 'Key file {file} cannot be read ({detail}).',
    'KEY_FILE_MISSING.hint': 'Check the key path in the configuration, or provision the device keys again.',
    KEY_FILE_INVALID: 'Key file {file} does not contain a valid {kind} key: {detail}.',
    'KEY_FILE_INVALID.hint': 'PEM files must be PKCS#8 (private) or SPKI (public); .jwk and .json files must contain one JWK.',
    KEY_FILE_PERMISSIONS: 'Private key file {file} has mode {mode}, so other users can read it.',
    'KEY_FILE_PERMISSIONS.hint': 'Run: chmod 600 {file}',
    KEY_FILE_EXISTS: 'Key file {file} already exists.',
    'KEY_FILE_EXISTS.hint': 'Move the old key aside first if it is to be replaced.',
    KEY_WRONG_TYPE: 'The {role} must be an {expected} key, but it is {actual}.',
    'KEY_WRONG_TYPE.hint': 'Use the key file the tool or operator published for this purpose: an Ed25519 key signs, an X25519 or P-256 key encrypts.',
  },
  'zh-Hant': {
    KEY_FILE_MISSING: '無法讀取金鑰檔 {file}（{detail}）',
    'KEY_FILE_MISSING.hint': '請檢查設定檔中的金鑰路徑，或重新佈建裝置金鑰。',
    KEY_FILE_INVALID: '金鑰檔 {file} 不含有效的 {kind} 金鑰：{detail}',
    'KEY_FILE_INVALID.hint': 'PEM 檔必須是 PKCS#8（私密金鑰）或 SPKI（公開金鑰）；.jwk 及 .json 檔必須包含一個 JWK。',
    KEY_FILE_PERMISSIONS: '私密金鑰檔 {file} 的權限為 {mode}，其他使用者可以讀取',
    'KEY_FILE_PERMISSIONS.hint': '請執行：chmod 600 {file}',
    KEY_FILE_EXISTS: '金鑰檔 {file} 已存在',
    'KEY_FILE_EXISTS.hint': '若要更換，請先把舊金鑰移走。',
    KEY_WRONG_TYPE: '{role} 必須是 {expected} 金鑰，但實際是 {actual}',
    'KEY_WRONG_TYPE.hint': '請使用工具或營運方為此用途公佈的金鑰檔：Ed25519 金鑰用於簽署，X25519 或 P-256 金鑰用於加密。',
  },
  'zh-Hans': {
    KEY_FILE_MISSING: '无法读取密钥文件 {file}（{detail}）',
    'KEY_FILE_MISSING.hint': '请检查配置文件中的密钥路径，或重新配置设备密钥。',
    KEY_FILE_INVALID: '密钥文件 {file} 不含有效的 {kind} 密钥：{detail}',
    'KEY_FILE_INVALID.hint': 'PEM 文件必须是 PKCS#8（私钥）或 SPKI（公钥）；.jwk 及 .json 文件必须包含一个 JWK。',
    KEY_FILE_PERMISSIONS: '私钥文件 {file} 的权限为 {mode}，其他用户可以读取',
    'KEY_FILE_PERMISSIONS.hint': '请运行：chmod 600 {file}',
    KEY_FILE_EXISTS: '密钥文件 {file} 已存在',
    'KEY_FILE_EXISTS.hint': '若要更换，请先把旧密钥移走。',
    KEY_WRONG_TYPE: '{role} 必须是 {expected} 密钥，但实际是 {actual}',
    'KEY_WRONG_TYPE.hint': '请使用工具或运营方为此用途公布的密钥文件：Ed25519 密钥用于签名，X25519 或 P-256 密钥用于加密。',
  },
  pt: {
    KEY_FILE_MISSING: 'não é possível ler o ficheiro de chave {file} ({detail})',
    'KEY_FILE_MISSING.hint': 'Verifique o caminho da chave na configuração, ou aprovisione de novo as chaves do dispositivo.',
    KEY_FILE_INVALID: 'o ficheiro de chave {file} não contém uma chave {kind} válida: {detail}',
    'KEY_FILE_INVALID.hint': 'Os ficheiros PEM têm de ser PKCS#8 (privada) ou SPKI (pública); os ficheiros .jwk e .json têm de conter uma JWK.',
    KEY_FILE_PERMISSIONS: 'o ficheiro de chave privada {file} tem o modo {mode}, pelo que outros utilizadores o podem ler',
    'KEY_FILE_PERMISSIONS.hint': 'Execute: chmod 600 {file}',
    KEY_FILE_EXISTS: 'o ficheiro de chave {file} já existe',
    'KEY_FILE_EXISTS.hint': 'Mova primeiro a chave antiga para outro lado, se é para a substituir.',
    KEY_WRONG_TYPE: 'a {role} tem de ser uma chave {expected}, mas é {actual}',
    'KEY_WRONG_TYPE.hint': 'Use o ficheiro de chave que a ferramenta ou o operador publicou para este fim: uma chave Ed25519 assina, uma chave X25519 ou P-256 cifra.',
  },
});
