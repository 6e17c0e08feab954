import path from 'node:path';

/**
 * The people of the demo and of the end-to-end tests, from the LFW photos of the shared test data.
 * Each enrolled person has one photo shown to the camera and other photos to enrol from. They were
 * chosen because their photos pass the quality gate and liveness at the default configuration when
 * shown as the gate video shows them; the stranger is enrolled nowhere.
 */
export interface CastMember {
  /** Worker id used at enrolment. */
  subjectId: string;
  displayName: string;
  /** LFW folder name. */
  folder: string;
  /** Photo shown to the camera. */
  probe: string;
  /** Photos enrolled from; never the probe. */
  enrol: string[];
}

export const ENROLLED: readonly CastMember[] = [
  { subjectId: 'W001', displayName: 'Al Sharpton', folder: 'al_sharpton', probe: '0001.jpg', enrol: ['0002.jpg', '0003.jpg', '0006.jpg'] },
  { subjectId: 'W002', displayName: 'Ai Sugiyama', folder: 'ai_sugiyama', probe: '0001.jpg', enrol: ['0002.jpg', '0003.jpg', '0005.jpg'] },
  { subjectId: 'W003', displayName: 'Annette Lu', folder: 'annette_lu', probe: '0001.jpg', enrol: ['0002.jpg', '0003.jpg'] },
];

export const STRANGER = { displayName: 'Anders Fogh Rasmussen', folder: 'anders_fogh_rasmussen', probe: '0001.jpg' } as const;

/** A screen replay of a face (a phone held up to the camera), from the spoof samples. */
export const REPLAY_ATTACK = 'spoof/attack/4.jpg';
/** A printed photo held up to the camera; too blurred to pass the quality gate at this size. */
export const PRINT_ATTACK = 'spoof/attack/1.jpg';

export function lfwPhoto(dataDir: string, folder: string, file: string): string {
  return path.join(dataDir, 'faces', 'lfw', folder, file);
}

export function probePhoto(dataDir: string, member: { folder: string; probe: string }): string {
  return lfwPhoto(dataDir, member.folder, member.probe);
}

export function enrolPhotos(dataDir: string, member: CastMember): string[] {
  return member.enrol.map((file) => lfwPhoto(dataDir, member.folder, file));
}
