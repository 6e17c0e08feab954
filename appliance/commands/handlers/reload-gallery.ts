import { z } from 'zod';
import type { CommandHandler } from '../registry.js';

/** `reload-gallery`: rebuild the matcher from the gallery, as SIGHUP does, and report the counts. */
export function reloadGalleryHandler(reload: () => { templates: number; subjects: number; rejected: number }): CommandHandler<Record<string, never>> {
  return {
    name: 'reload-gallery',
    action: 'command.reload-gallery',
    args: z.strictObject({}),
    async run() {
      const counts = reload();
      return { outcome: 'done', reason: 'gallery-reloaded', output: counts, detail: { ...counts } };
    },
  };
}
