import { defineMessages } from '../i18n/translate.js';

// Errors of the door relay and signal configuration, keyed by FacegateError code with a `.hint`
// beside each. The CLI, `facegate run` included, prints them in the technician's language.
// NOTE: {problem} comes from patternProblem() in patterns.ts and stays in English in every locale.
const en = {
  'door.invalid_pattern': 'Signal pattern {pattern} {problem}.',
  'door.invalid_pattern.hint': 'Fix door.signals.patterns in the configuration; each frame needs ms > 0.',
  'door.invalid_timing': 'Relay timing is invalid: pulseMs {pulseMs}, maxPulseMs {maxPulseMs}.',
  'door.invalid_timing.hint': 'Set door.relay.pulseMs above 0 and maxPulseMs to at least pulseMs.',
} as const;

type Key = keyof typeof en;

const zhHant: Record<Key, string> = {
  'door.invalid_pattern': '訊號模式 {pattern} 無效：{problem}。',
  'door.invalid_pattern.hint': '請修正設定中的 door.signals.patterns；每個步驟（frame）的 ms 必須大於 0。',
  'door.invalid_timing': '門鎖繼電器時間設定無效：pulseMs {pulseMs}、maxPulseMs {maxPulseMs}。',
  'door.invalid_timing.hint': '請把 door.relay.pulseMs 設為大於 0，並把 maxPulseMs 設為不小於 pulseMs。',
};

const zhHans: Record<Key, string> = {
  'door.invalid_pattern': '信号模式 {pattern} 无效：{problem}。',
  'door.invalid_pattern.hint': '请修正配置中的 door.signals.patterns；每个步骤（frame）的 ms 必须大于 0。',
  'door.invalid_timing': '门锁继电器时间设置无效：pulseMs {pulseMs}、maxPulseMs {maxPulseMs}。',
  'door.invalid_timing.hint': '请把 door.relay.pulseMs 设为大于 0，并把 maxPulseMs 设为不小于 pulseMs。',
};

const pt: Record<Key, string> = {
  'door.invalid_pattern': 'O padrão de sinalização {pattern} é inválido: {problem}.',
  'door.invalid_pattern.hint': 'Corrija door.signals.patterns na configuração; cada passo (frame) precisa de ms > 0.',
  'door.invalid_timing': 'Temporização do relé da porta inválida: pulseMs {pulseMs}, maxPulseMs {maxPulseMs}.',
  'door.invalid_timing.hint': 'Defina door.relay.pulseMs acima de 0 e maxPulseMs com pelo menos o valor de pulseMs.',
};

export const doorMessages = defineMessages<Key>({ en, 'zh-Hant': zhHant, 'zh-Hans': zhHans, pt });
