import { defineMessages } from '../i18n/translate.js';

// Errors of the PIN and badge fallback, keyed by FacegateError code with a `.hint` beside each.
export const fallbackMessages = defineMessages({
  en: {
    'fallback.invalid_pin': 'The PIN for {subject} must be 4 to 12 digits.',
    'fallback.invalid_pin.hint': 'Choose a PIN of 4 to 12 digits that the keypad can type.',
  },
  'zh-Hant': {
    'fallback.invalid_pin': '{subject} 的 PIN 碼必須是 4 至 12 位數字',
    'fallback.invalid_pin.hint': '請選擇一個 4 至 12 位、可在鍵盤上輸入的數字 PIN 碼。',
  },
  'zh-Hans': {
    'fallback.invalid_pin': '{subject} 的 PIN 码必须是 4 至 12 位数字',
    'fallback.invalid_pin.hint': '请选择一个 4 至 12 位、可在键盘上输入的数字 PIN 码。',
  },
  pt: {
    'fallback.invalid_pin': 'o PIN de {subject} tem de ter 4 a 12 algarismos',
    'fallback.invalid_pin.hint': 'Escolha um PIN de 4 a 12 algarismos que se possa digitar no teclado.',
  },
});
