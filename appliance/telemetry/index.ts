/** Health numbers of the running daemon: clock sync, stage latencies, temperature, disk. */
export { ClockSyncMonitor, readClockSync, TIMESYNCD_SYNCED_FILE, type ClockSyncReaderOptions, type ClockSyncState } from './clock-sync.js';
export { LatencyWindow, percentile, type StagePercentiles } from './latency-window.js';
export { TelemetryReporter, type TelemetryReporterOptions, type TelemetrySources } from './reporter.js';
export { CPU_THERMAL_ZONE, readCpuTemperature, readFreeDisk } from './system.js';
