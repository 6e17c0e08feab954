import path from 'node:path';
import { defaultCalibrationPath } from '../../gallery/calibration.js';
import { testDataDir } from '../../common/paths.js';
import { formatAccuracy, runAccuracyBenchmark, summariseAccuracy } from '../../../bench/accuracy.js';
import { formatLatency, runLatencyBenchmark } from '../../../bench/latency.js';
import { runLivenessBenchmark } from '../../../bench/liveness.js';
import { formatMatchBenchmark, runMatchBenchmark, writeMatchBenchmarkResult } from '../../../bench/match.js';
import { writeResult } from '../../../bench/record.js';
import { parseCommandArgs, parseIntegerOption, parseNumberOption } from '../args.js';
import { EXIT, UsageError, type CliContext, type Command } from '../context.js';

const commandLine = (argv: string[]): string => ['facegate', 'bench', ...argv].join(' ');

async function run(context: CliContext, argv: string[]): Promise<number> {
  const [kind, ...rest] = argv;
  const out = (line: string): void => {
    context.stdout.write(`${line}\n`);
  };
  switch (kind) {
    case 'accuracy': {
      const { values } = parseCommandArgs('bench', rest, {
        pairs: { type: 'string' },
        images: { type: 'string' },
        fpir: { type: 'string' },
        seed: { type: 'string' },
        'write-calibration': { type: 'string' },
        'no-record': { type: 'boolean', default: false },
      });
      if (values.pairs === undefined) throw new UsageError('bench', 'accuracy needs --pairs FILE');
      const result = await runAccuracyBenchmark(
        {
          pairsFile: values.pairs,
          imagesDir: values.images,
          targetFpir: parseNumberOption('bench', 'fpir', values.fpir, 1e-6, 0.1) ?? 0.01,
          seed: parseIntegerOption('bench', 'seed', values.seed, 0, 2 ** 31) ?? 1,
          calibrationOut: values['write-calibration'] === undefined ? undefined : path.resolve(values['write-calibration']),
          command: commandLine(argv),
          log: out,
        },
        context.logger,
      );
      for (const line of formatAccuracy(result)) out(line);
      if (!values['no-record']) out(`recorded in ${writeResult('accuracy', result)}`);
      out(JSON.stringify(summariseAccuracy(result)));
      return EXIT.ok;
    }
    case 'latency': {
      const { values } = parseCommandArgs('bench', rest, {
        images: { type: 'string' },
        limit: { type: 'string' },
        frames: { type: 'boolean', default: true },
        'no-record': { type: 'boolean', default: false },
      });
      if (values.images === undefined) throw new UsageError('bench', 'latency needs --images DIR');
      const result = await runLatencyBenchmark(
        {
          imagesDir: values.images,
          limit: parseIntegerOption('bench', 'limit', values.limit, 1, 100_000) ?? 300,
          frames: values.frames,
          command: commandLine(argv),
        },
        context.logger,
      );
      for (const line of formatLatency(result)) out(line);
      if (!values['no-record']) out(`recorded in ${writeResult('latency', result)}`);
      out(JSON.stringify({ p50: result.total.p50, p95: result.total.p95, frameP95: result.frame640x480?.total.p95 ?? null, peakRssMiB: Math.round(result.peakRssBytes / 2 ** 20) }));
      return EXIT.ok;
    }
    case 'match': {
      const { values } = parseCommandArgs('bench', rest, {
        templates: { type: 'string', default: '1000,10000,100000' },
        queries: { type: 'string' },
        'no-record': { type: 'boolean', default: false },
      });
      const sizes = values.templates.split(',').map((v) => parseIntegerOption('bench', 'templates', v, 1, 10_000_000)!);
      const result = runMatchBenchmark({ templates: sizes, queries: parseIntegerOption('bench', 'queries', values.queries, 1, 100_000) });
      out(formatMatchBenchmark(result));
      if (!values['no-record']) out(`recorded in ${writeMatchBenchmarkResult(result)}`);
      return EXIT.ok;
    }
    case 'liveness': {
      const { values } = parseCommandArgs('bench', rest, {
        spoof: { type: 'string', default: path.join(testDataDir(), 'spoof') },
        'no-record': { type: 'boolean', default: false },
      });
      const result = await runLivenessBenchmark(values.spoof, commandLine(argv), context.logger);
      for (const row of result.rows) {
        out(`${row.file.padEnd(16)} ${row.label.padEnd(7)} ${row.attackType.padEnd(7)} liveness ${row.score === null ? '-' : row.score.toFixed(4)} → ${row.verdict}${row.correct ? '' : '  (WRONG)'}`);
      }
      out(`${result.correct}/${result.rows.length} correct at threshold ${result.threshold}`);
      if (!values['no-record']) out(`recorded in ${writeResult('liveness', result)}`);
      out(JSON.stringify({ correct: result.correct, total: result.rows.length, threshold: result.threshold }));
      return EXIT.ok;
    }
    default:
      throw new UsageError('bench', 'expected accuracy, latency, match or liveness');
  }
}

const HELP_EN = `Usage:
  facegate bench accuracy --pairs FILE [--images DIR] [--fpir RATE] [--write-calibration FILE]
  facegate bench latency --images DIR [--limit N]
  facegate bench match [--templates 1000,10000,100000]
  facegate bench liveness [--spoof DIR]

accuracy  10-fold verification accuracy, TAR at FAR 1e-3 and 1e-4 on the pairs and on all
          image pairs, and open-set DIR/FPIR with two thirds of the people enrolled. A face
          that is not found or fails the quality gate is an error, never skipped. Pairs file
          rows: a,b,same,fold, paths relative to the file's folder unless --images.
          --write-calibration writes the impostor calibration (${defaultCalibrationPath()}).
latency   per-stage and total time per image (p50, p95), a 640x480 frame, and peak RSS.
match     matcher search time (p50, p95) and memory for each gallery size.
liveness  liveness score and verdict for every sample in labels.csv of the spoof folder.

Each run records its figures in bench/results/ with the command, commit and machine;
--no-record skips that. The last line of output is one JSON object.`;

export const benchCommand: Command = {
  name: 'bench',
  summary: {
    en: 'measure accuracy, speed and liveness on real photos',
    'zh-Hant': '以真實照片量測準確度、速度及活體檢測',
    'zh-Hans': '用真实照片测量准确度、速度及活体检测',
    pt: 'medir exatidão, velocidade e vivacidade com fotografias reais',
  },
  // Benchmarks are run by engineers; their help is kept in English in every locale.
  help: { en: HELP_EN, 'zh-Hant': HELP_EN, 'zh-Hans': HELP_EN, pt: HELP_EN },
  run,
};
