import { defineMessages } from '../../../appliance/i18n/translate.js';

// Words every provisioning subcommand shares.
const en = {
  warning: 'Warning: {message}',
  error: 'Error: {message}',
  hint: 'What to do: {hint}',
  problem: '  - {message}',
  fix: '    Fix: {fix}',
  next: 'Next: {step}',
  yes: 'y',
  'yes.pattern': '^(y|yes)$',
  'question.yesNo': '{question} [y/N]',
  'question.default': '{question} [{default}]',
  'answer.invalid': '"{answer}" is not accepted: {reason}. Try again.',
} as const;

type Key = keyof typeof en;

const zhHant: Record<Key, string> = {
  warning: '警告：{message}',
  error: '錯誤：{message}',
  hint: '處理方法：{hint}',
  problem: '  - {message}',
  fix: '    修正：{fix}',
  next: '下一步：{step}',
  yes: '是',
  'yes.pattern': '^(y|yes|是|有|對)$',
  'question.yesNo': '{question} [是=y／否=N]',
  'question.default': '{question} [{default}]',
  'answer.invalid': '不接受「{answer}」：{reason}。請再輸入一次。',
};

const zhHans: Record<Key, string> = {
  warning: '警告：{message}',
  error: '错误：{message}',
  hint: '处理方法：{hint}',
  problem: '  - {message}',
  fix: '    修正：{fix}',
  next: '下一步：{step}',
  yes: '是',
  'yes.pattern': '^(y|yes|是|有|对)$',
  'question.yesNo': '{question} [是=y／否=N]',
  'question.default': '{question} [{default}]',
  'answer.invalid': '不接受“{answer}”：{reason}。请再输入一次。',
};

const pt: Record<Key, string> = {
  warning: 'Aviso: {message}',
  error: 'Erro: {message}',
  hint: 'O que fazer: {hint}',
  problem: '  - {message}',
  fix: '    Correção: {fix}',
  next: 'A seguir: {step}',
  yes: 's',
  'yes.pattern': '^(s|sim|y|yes)$',
  'question.yesNo': '{question} [s/N]',
  'question.default': '{question} [{default}]',
  'answer.invalid': '"{answer}" não é aceite: {reason}. Tente de novo.',
};

export const commonMessages = defineMessages<Key>({ en, 'zh-Hant': zhHant, 'zh-Hans': zhHans, pt });
