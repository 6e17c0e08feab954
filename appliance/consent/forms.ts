import { createHash } from 'node:crypto';
import type { Locale } from '../i18n/locale.js';
import { fill } from '../i18n/translate.js';

/**
 * Consent forms shown to a worker before any face processing. Each form has an id, a version and one
 * text per language. The SHA-256 of the rendered text (controller and contact filled in) goes into
 * the consent record and the receipt, so anyone can later prove which exact words the worker saw.
 *
 * Change a text only together with a new FORM_VERSION: a consent given to an older version stays
 * valid, and its record keeps the old hash.
 */

export const FORM_VERSION = '2026-12-01';

/** The Macau notice (Personal Data Protection Act, Law 8/2005) and the mainland PIPL separate-consent form. */
export const FORM_IDS = ['macau-pdpa-notice', 'pipl-separate-consent'] as const;
export type FormId = (typeof FORM_IDS)[number];

/** The only purpose the device processes faces for. */
export const CONSENT_PURPOSE = 'face-recognition-attendance-access';

export interface FormParties {
  /** Data controller: the employer or site operator, as it should appear on the form. */
  controller: string;
  /** How to reach the controller about personal data: e-mail, phone or office. */
  contact: string;
  /** Days a withdrawn or departed worker's templates may still exist before the purge; shown on the form. */
  retentionDays: number;
}

export interface RenderedForm {
  id: FormId;
  version: string;
  locale: Locale;
  text: string;
  /** SHA-256 of `text` in UTF-8, lower-case hex. */
  sha256: string;
}

const MACAU_NOTICE: Partial<Record<Locale, string>> = {
  'zh-Hant': `個人資料收集聲明（澳門《個人資料保護法》第 8/2005 號法律）

目的：以人臉辨識記錄考勤及開啟門禁，不作其他用途。
保存甚麼：由您的人臉計算出的特徵範本（一組數字），以您專屬的金鑰加密。裝置不保存您的照片或影像。
保存在哪裏：只保存在這部裝置上，裝置位於澳門。考勤記錄只包含代號，不包含人臉資料。
保存多久：直至您撤回同意或離職；之後 {retentionDays} 日內銷毀。
資料控制者：{controller}；聯絡：{contact}。
您的權利：查閱、更正、反對及隨時撤回同意。撤回與給予同意一樣容易（在自助機以員工編號撤回，或聯絡上述人員）。撤回後，您的範本會被銷毀。
不作跨境轉移：人臉資料不會離開這部裝置，不會傳送到澳門以外的地方。
替代方式：您可以不同意，改用密碼（PIN）或工作證打卡，不會因此受到任何不利對待。`,
  'zh-Hans': `个人资料收集声明（澳门《个人资料保护法》第 8/2005 号法律）

目的：以人脸识别记录考勤及开启门禁，不作其他用途。
保存什么：由您的人脸计算出的特征模板（一组数字），以您专属的密钥加密。设备不保存您的照片或影像。
保存在哪里：只保存在这台设备上，设备位于澳门。考勤记录只包含代号，不包含人脸资料。
保存多久：直至您撤回同意或离职；之后 {retentionDays} 日内销毁。
资料控制者：{controller}；联系：{contact}。
您的权利：查阅、更正、反对及随时撤回同意。撤回与给予同意一样容易（在自助机以员工编号撤回，或联系上述人员）。撤回后，您的模板会被销毁。
不作跨境转移：人脸资料不会离开这台设备，不会传送到澳门以外的地方。
替代方式：您可以不同意，改用密码（PIN）或工作证打卡，不会因此受到任何不利对待。`,
  pt: `Aviso de recolha de dados pessoais (Lei n.º 8/2005, Lei da Protecção de Dados Pessoais de Macau)

Finalidade: registar a assiduidade e abrir a porta por reconhecimento facial, e nada mais.
O que é guardado: um modelo biométrico (uma lista de números) calculado a partir do seu rosto, cifrado com uma chave só sua. O dispositivo não guarda fotografias nem vídeo.
Onde: apenas neste dispositivo, em Macau. Os registos de assiduidade contêm só um pseudónimo, nunca dados do rosto.
Por quanto tempo: até retirar o consentimento ou deixar o emprego; depois é destruído no prazo de {retentionDays} dias.
Responsável pelo tratamento: {controller}; contacto: {contact}.
Os seus direitos: acesso, rectificação, oposição e retirada do consentimento a qualquer momento, tão facilmente como o deu (no quiosque com o seu número de trabalhador, ou através do contacto acima). Após a retirada, o seu modelo é destruído.
Sem transferência transfronteiriça: os dados do rosto nunca saem deste dispositivo nem de Macau.
Alternativa: pode recusar e usar um PIN ou um cartão, sem qualquer prejuízo.`,
  en: `Personal data collection notice (Macau Personal Data Protection Act, Law 8/2005)

Purpose: recording attendance and opening the door by face recognition, and nothing else.
What is kept: a template (a list of numbers) computed from your face, encrypted under a key of your own. The device keeps no photo or video of you.
Where: only on this device, which is in Macau. Attendance records carry a pseudonym, never face data.
How long: until you withdraw consent or leave; then it is destroyed within {retentionDays} days.
Data controller: {controller}; contact: {contact}.
Your rights: access, correction, objection, and withdrawal of consent at any time, as easily as you gave it (at the kiosk with your worker id, or through the contact above). After withdrawal your template is destroyed.
No cross-border transfer: face data never leaves this device or Macau.
Alternative: you may refuse and clock in with a PIN or a badge instead, with no disadvantage to you.`,
};

const PIPL_SEPARATE_CONSENT: Partial<Record<Locale, string>> = {
  'zh-Hans': `人脸识别单独同意书（《中华人民共和国个人信息保护法》第二十九条）

人脸信息属于敏感个人信息。本同意书与其他条款分开，仅就人脸识别征求您的单独同意。
处理目的及方式：在本设备上比对您的人脸特征模板，用于考勤及门禁；不保存照片。
必要性及对您的影响：您可以拒绝，改用密码（PIN）或工作证打卡，不影响您的工作及待遇。
存储地点及期限：仅存储于位于澳门的本设备；撤回同意或离职后 {retentionDays} 日内删除。
不向任何第三方提供，不向境外（包括内地）传输人脸信息。
个人信息处理者：{controller}；联系方式：{contact}。
您可以随时撤回同意，撤回方式与给予同意同样便捷；撤回不影响撤回前基于同意已进行的处理。`,
  en: `Separate consent to facial recognition (PRC Personal Information Protection Law, Article 29)

Facial information is sensitive personal information. This form stands apart from any other terms and asks only for your separate consent to facial recognition.
Purpose and method: your face template is compared on this device for attendance and door access; no photo is kept.
Necessity and effect on you: you may refuse and clock in with a PIN or badge instead, with no effect on your work or pay.
Where and how long: only on this device, in Macau; deleted within {retentionDays} days after you withdraw consent or leave.
Facial information is given to no third party and transferred to no other jurisdiction, the mainland included.
Personal information handler: {controller}; contact: {contact}.
You may withdraw at any time, as easily as you consented; withdrawal does not affect processing done before it.`,
};

const TEXTS: Record<FormId, Partial<Record<Locale, string>>> = {
  'macau-pdpa-notice': MACAU_NOTICE,
  'pipl-separate-consent': PIPL_SEPARATE_CONSENT,
};

/** Languages a form is available in. */
export function formLocales(id: FormId): Locale[] {
  return Object.keys(TEXTS[id]) as Locale[];
}

/** Render a form with the site's controller, contact and retention, and hash the result. */
export function renderForm(id: FormId, locale: Locale, parties: FormParties): RenderedForm {
  const template = TEXTS[id][locale];
  if (template === undefined) {
    throw new RangeError(`Form ${id} has no ${locale} text; available: ${formLocales(id).join(', ')}.`);
  }
  const text = fill(template, { controller: parties.controller, contact: parties.contact, retentionDays: parties.retentionDays });
  return { id, version: FORM_VERSION, locale, text, sha256: createHash('sha256').update(text, 'utf8').digest('hex') };
}

/**
 * Forms a worker of a consent track must accept, in order. The Macau notice applies to everyone
 * working in Macau; mainland residents also give the PIPL separate consent, shown in Simplified
 * Chinese unless they pick English.
 */
export function formsForTrack(law: 'macau-pdpa' | 'mainland-pipl', locale: Locale, parties: FormParties): RenderedForm[] {
  const notice = renderForm('macau-pdpa-notice', locale, parties);
  if (law === 'macau-pdpa') return [notice];
  const piplLocale: Locale = locale === 'en' ? 'en' : 'zh-Hans';
  return [notice, renderForm('pipl-separate-consent', piplLocale, parties)];
}
