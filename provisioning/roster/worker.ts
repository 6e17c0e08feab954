import type { Locale } from '../../appliance/i18n/locale.js';

/** Where a worker lives; it decides the consent law and the language of the consent form. */
export const DOMICILES = ['macau', 'mainland', 'other'] as const;
export type Domicile = (typeof DOMICILES)[number];

export interface Worker {
  workerId: string;
  displayName: string;
  domicile: Domicile;
}

export interface ConsentTrack {
  /** `macau-pdpa`: Personal Data Protection Act (Law 8/2005); `mainland-pipl`: PIPL separate consent for facial recognition. */
  law: 'macau-pdpa' | 'mainland-pipl';
  /** Language the consent form opens in; the worker may switch to another. */
  formLocale: Locale;
}

/**
 * Return the consent track of a domicile. Mainland cross-border commuters get the PIPL track in Simplified
 * Chinese; Macau residents and everyone else the Macau PDPA track, in Traditional Chinese for residents
 * and in English (Portuguese on request) for others.
 */
export function consentTrack(domicile: Domicile): ConsentTrack {
  switch (domicile) {
    case 'mainland':
      return { law: 'mainland-pipl', formLocale: 'zh-Hans' };
    case 'macau':
      return { law: 'macau-pdpa', formLocale: 'zh-Hant' };
    case 'other':
      return { law: 'macau-pdpa', formLocale: 'en' };
  }
}
