import { DEFAULT_STATE_DIR } from '../../common/paths.js';
import { FacegateError } from '../../common/errors.js';
import { Gallery } from '../../gallery/store.js';
import { commandLineActor, recordStandalone } from '../../audit/standalone.js';
import { parseCommandArgs } from '../args.js';
import { EXIT, UsageError, type CliContext, type Command } from '../context.js';

async function run(context: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'gallery',
    argv,
    { state: { type: 'string', default: DEFAULT_STATE_DIR }, json: { type: 'boolean', default: false } },
    true,
  );
  const [action, subject, ...rest] = positionals;
  if (action !== 'list' && action !== 'remove') throw new UsageError('gallery', 'expected "list" or "remove ID"');
  if (action === 'remove' && (subject === undefined || rest.length > 0)) throw new UsageError('gallery', 'remove takes exactly one subject ID');
  if (action === 'list' && subject !== undefined) throw new UsageError('gallery', 'list takes no arguments');

  const gallery = Gallery.open({ stateDir: values.state, logger: context.logger });
  try {
    if (action === 'list') {
      const subjects = gallery.listSubjects();
      if (values.json) {
        context.stdout.write(`${JSON.stringify(subjects)}\n`);
      } else if (subjects.length === 0) {
        context.say('gallery.empty');
      } else {
        context.say('gallery.header');
        for (const s of subjects) context.stdout.write(`${s.id}\t${s.templates}\t${s.createdAt.toISOString()}\t${s.pseudonym}\n`);
      }
      return EXIT.ok;
    }
    if (!gallery.hasSubject(subject!)) {
      throw new FacegateError('GALLERY_SUBJECT_NOT_FOUND', `subject ${subject} is not enrolled`, { params: { subject: subject! } });
    }
    const removed = gallery.removeSubject(subject!);
    context.logger.info({ templates: removed.templates }, 'subject removed and its key destroyed');
    await recordStandalone(
      values.state,
      { actor: commandLineActor(), action: 'enrolment.remove', object: { kind: 'subject', id: subject! }, outcome: 'success', detail: { templates: removed.templates } },
      context.logger,
    );
    context.say('gallery.removed', { subject: subject!, templates: removed.templates });
    return EXIT.ok;
  } finally {
    gallery.close();
  }
}

export const galleryCommand: Command = {
  name: 'gallery',
  summary: {
    en: 'list enrolled workers or remove one for good',
    'zh-Hant': '列出已登記人員，或永久刪除其中一人',
    'zh-Hans': '列出已登记人员，或永久删除其中一人',
    pt: 'listar os trabalhadores registados ou remover um definitivamente',
  },
  help: {
    en: `Usage: facegate gallery list [--json] [--state DIR]
       facegate gallery remove ID [--state DIR]

list    prints each subject, its number of templates, enrolment time and the
        pseudonym used in attendance events.
remove  deletes the subject's key and templates. Without the key the templates
        cannot be decrypted from any copy or backup, so this cannot be undone.

Exit codes: 0 done, 1 unknown subject, 2 usage error, 4 device not set up.`,
    'zh-Hant': `用法：facegate gallery list [--json] [--state 目錄]
      facegate gallery remove 編號 [--state 目錄]

list    列出每位人員、範本數、登記時間及考勤事件中使用的假名代號。
remove  刪除該人員的金鑰及範本。沒有金鑰，任何副本或備份中的範本都無法解密，
        因此無法復原。

結束代碼：0 完成，1 人員不存在，2 用法錯誤，4 裝置尚未設定。`,
    'zh-Hans': `用法：facegate gallery list [--json] [--state 目录]
      facegate gallery remove 编号 [--state 目录]

list    列出每位人员、模板数、登记时间及考勤事件中使用的假名代号。
remove  删除该人员的密钥及模板。没有密钥，任何副本或备份中的模板都无法解密，
        因此无法恢复。

退出代码：0 完成，1 人员不存在，2 用法错误，4 设备尚未设置。`,
    pt: `Uso: facegate gallery list [--json] [--state DIR]
     facegate gallery remove ID [--state DIR]

list    mostra cada pessoa, o número de modelos, a data de registo e o pseudónimo
        usado nos eventos de assiduidade.
remove  apaga a chave e os modelos da pessoa. Sem a chave, os modelos não podem ser
        decifrados de nenhuma cópia, pelo que não há como desfazer.

Códigos de saída: 0 feito, 1 pessoa desconhecida, 2 erro de uso, 4 dispositivo não configurado.`,
  },
  run,
};
