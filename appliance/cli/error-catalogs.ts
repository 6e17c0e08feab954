// Every catalog whose keys include FacegateError codes, each code with a `<code>.hint` beside it.
// The CLI looks an error's code up in all catalogs exported here, in this order, so a new domain
// catalog is added with one `export { … } from` line. The error-catalog test checks that every
// error code the commands raise has a message and hint here in all four locales.
export { cliMessages } from './messages.js';
export { consentMessages } from '../consent/messages.js';
export { configMessages } from '../config/messages.js';
export { gpioMessages } from '../gpio/messages.js';
export { mqttMessages } from '../mqtt/messages.js';
export { outboxMessages } from '../outbox/messages.js';
export { provisionErrors } from '../../provisioning/i18n/errors.js';
export { commandMessages } from '../../fleet/cli/command-messages.js';
export { fallbackMessages } from '../fallback/messages.js';
export { protocolMessages } from '../../protocol/messages.js';
export { auditErrorMessages } from '../audit/error-messages.js';
export { enrollMessages } from './enroll-messages.js';
export { cameraMessages } from '../camera/messages.js';
export { doorMessages } from '../door/messages.js';
export { daemonMessages } from '../daemon/messages.js';
export { modelMessages } from '../vision/messages.js';
export { systemdMessages } from '../systemd/messages.js';
export { galleryMessages } from '../gallery/messages.js';
