import fs from 'node:fs';

import { loadConfig, type CameraConfig, type FacegateConfig } from '../../appliance/config/index.js';
import { DEFAULT_CONFIG_FILE, DEFAULT_STATE_DIR, statePaths, type StatePaths } from '../paths.js';
import type { ProvisionIo } from './io.js';

/** The device a subcommand works on: its state folder, and its configuration when there is one. */
export interface DeviceTarget {
  paths: StatePaths;
  config: FacegateConfig | undefined;
  configFile: string;
}

/** Describe the camera input for summaries: its type and device, path or address without credentials. */
export function describeCamera(camera: CameraConfig | FacegateConfig['camera']): string {
  switch (camera.type) {
    case 'v4l2':
      return `v4l2 ${camera.device}`;
    case 'rtsp':
    case 'http':
      return `${camera.type} ${camera.url.replace(/\/\/[^@/]*@/, '//')}`;
    case 'file':
    case 'folder':
      return `${camera.type} ${camera.path}`;
    case 'rpicam':
      return `rpicam ${camera.cameraIndex}`;
  }
}

/** `--state` and `--config`, shared by every subcommand that works on the device. */
export const TARGET_OPTIONS = {
  state: { type: 'string' },
  config: { type: 'string' },
} as const;

/**
 * Find the device. `--state` names the state folder. Once the configuration (`--config`, or the
 * default file) exists, it supplies the state folder and any file paths it overrides; before
 * `provision configure` has written it, the state folder alone is used. With `requireConfig`, a
 * missing or invalid configuration raises the loader's ConfigError, which lists every problem.
 */
export function locateDevice(io: ProvisionIo, values: { state?: string; config?: string }, requireConfig = false): DeviceTarget {
  const configFile = values.config ?? DEFAULT_CONFIG_FILE;
  const useConfig = requireConfig || fs.existsSync(configFile);
  const config = useConfig ? loadConfig(configFile, { locale: io.locale }) : undefined;
  if (values.state !== undefined) {
    // An explicit state folder wins; the configuration's own paths apply only to its own folder.
    const sameFolder = config !== undefined && config.stateDir === values.state;
    return { paths: statePaths(values.state, sameFolder ? config : undefined), config, configFile };
  }
  return { paths: statePaths(config?.stateDir ?? DEFAULT_STATE_DIR, config), config, configFile };
}
