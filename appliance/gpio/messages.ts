import { FacegateError } from '../common/errors.js';
import { defineMessages, type MessageParams } from '../i18n/translate.js';

/**
 * Technician-facing GPIO messages. Each error code has a message and a `.hint` with the fix.
 * The English text becomes the FacegateError message, and the CLI shows the technician's locale.
 */
export const gpioMessages = defineMessages({
  en: {
    'gpio.chip_missing': 'No GPIO chip found: {devDir} has no gpiochip device.',
    'gpio.chip_missing.hint':
      'Check that this is the appliance board and that the kernel has GPIO support (`ls /dev/gpiochip*`), and that the service allows the devices (DeviceAllow=char-gpiochip rw). For a demo without hardware, set gpio.type: simulated in the configuration.',
    'gpio.chip_not_found': 'GPIO chip {chip} for line {line} not found; chips present: {chips}.',
    'gpio.chip_not_found.hint':
      'Run `gpiodetect` to list the chips and fix the chip in the pin map (docs/gpio.md). On a Raspberry Pi 5 the header is gpiochip4 on early kernels and gpiochip0 on later ones; naming the line avoids the difference.',
    'gpio.line_not_found': 'GPIO line {line} not found; chips searched: {chips}.',
    'gpio.line_not_found.hint':
      'Run `gpioinfo` to list the line names, fix the pin map in the configuration (docs/gpio.md), and check that the facegate user is in group gpio with read and write access to /dev/gpiochipN.',
    'gpio.offset_out_of_range': 'GPIO line {line}: offset {offset} is out of range, {chip} has {lines} lines.',
    'gpio.offset_out_of_range.hint': 'Run `gpioinfo {chip}` and use an offset below {lines}, or give the line by name.',
    'gpio.permission_denied': 'Permission denied opening GPIO line {line} on {device}.',
    'gpio.permission_denied.hint':
      'Add the service user to group gpio (`usermod -aG gpio facegate`), make /dev/gpiochipN group gpio with mode 0660 (systemd/60-facegate-gpio.rules), and keep DeviceAllow=char-gpiochip rw in the unit.',
    'gpio.line_busy': 'GPIO line {line} is already in use by {consumer}.',
    'gpio.line_busy.hint':
      'Stop the other program holding the line (the consumer column of `gpioinfo`), or move this signal to a free pin.',
    'gpio.tool_missing': 'The libgpiod tool {tool} was not found.',
    'gpio.tool_missing.hint': 'Install the libgpiod tools: `apt-get install gpiod`.',
    'gpio.tool_failed': '{tool} failed for GPIO line {line}: {detail}',
    'gpio.tool_failed.hint': 'Run the same command by hand to see the full output: {command}',
    'gpio.line_lost': 'GPIO line {line} stopped being driven: {detail}',
    'gpio.line_lost.hint': 'Check the journal for the helper process output and the kernel log (`dmesg`) for GPIO errors.',
    'gpio.sysfs_unavailable': 'The sysfs GPIO interface {path} is not available.',
    'gpio.sysfs_unavailable.hint':
      'Kernels built without CONFIG_GPIO_SYSFS (current Raspberry Pi OS and Debian) have no sysfs GPIO: set gpio.type: chardev.',
    'gpio.sysfs_name_unsupported': 'GPIO line {line} is given by name, but sysfs GPIO has no line names.',
    'gpio.sysfs_name_unsupported.hint':
      'Give the line as chip and offset (for example chip: pinctrl-rp1, offset: 17), or use the chardev backend, which resolves names.',
    'gpio.simulated_fault': 'Simulated fault on GPIO line {line}: {detail}',
    'gpio.simulated_fault.hint': 'Raised on purpose by a test through SimulatedGpio.injectFault().',
    'gpio.simulated_not_input': 'Simulated line {line} is not an open input.',
    'gpio.simulated_not_input.hint': 'Open the line with openInput() before driving it with setInput(), press() or release().',
    'gpio.simulated_unknown_line': 'No simulated line is labelled or named {line}.',
    'gpio.simulated_unknown_line.hint': 'Open the line first and refer to it by its label, its name (GPIO17) or chip:offset.',
  },
  'zh-Hant': {
    'gpio.chip_missing': '找不到 GPIO 晶片：{devDir} 中沒有 gpiochip 裝置。',
    'gpio.chip_missing.hint':
      '請確認這是設備主機板、核心支援 GPIO（`ls /dev/gpiochip*`），並且服務允許存取這些裝置（DeviceAllow=char-gpiochip rw）。沒有硬件的示範請在設定中寫 gpio.type: simulated。',
    'gpio.chip_not_found': '找不到線路 {line} 所在的 GPIO 晶片 {chip}；現有晶片：{chips}。',
    'gpio.chip_not_found.hint':
      '執行 `gpiodetect` 列出晶片，並修正針腳對照表中的晶片（docs/gpio.md）。Raspberry Pi 5 的排針在較早的核心是 gpiochip4，較新的核心是 gpiochip0；以線路名稱指定可避開這個差異。',
    'gpio.line_not_found': '找不到 GPIO 線路 {line}；已搜尋的晶片：{chips}。',
    'gpio.line_not_found.hint':
      '執行 `gpioinfo` 列出線路名稱，修正設定中的針腳對照表（docs/gpio.md），並確認 facegate 使用者屬於 gpio 群組，可讀寫 /dev/gpiochipN。',
    'gpio.offset_out_of_range': 'GPIO 線路 {line}：偏移 {offset} 超出範圍，{chip} 只有 {lines} 條線路。',
    'gpio.offset_out_of_range.hint': '執行 `gpioinfo {chip}`，使用小於 {lines} 的偏移，或改用線路名稱。',
    'gpio.permission_denied': '開啟 {device} 上的 GPIO 線路 {line} 時權限被拒。',
    'gpio.permission_denied.hint':
      '把服務使用者加入 gpio 群組（`usermod -aG gpio facegate`），讓 /dev/gpiochipN 屬於 gpio 群組、權限 0660（systemd/60-facegate-gpio.rules），並在單元檔保留 DeviceAllow=char-gpiochip rw。',
    'gpio.line_busy': 'GPIO 線路 {line} 已被 {consumer} 佔用。',
    'gpio.line_busy.hint': '停止佔用該線路的程式（見 `gpioinfo` 的 consumer 欄），或把這個訊號改接到空閒針腳。',
    'gpio.tool_missing': '找不到 libgpiod 工具 {tool}。',
    'gpio.tool_missing.hint': '安裝 libgpiod 工具：`apt-get install gpiod`。',
    'gpio.tool_failed': '{tool} 在 GPIO 線路 {line} 上失敗：{detail}',
    'gpio.tool_failed.hint': '手動執行同一指令查看完整輸出：{command}',
    'gpio.line_lost': 'GPIO 線路 {line} 已停止驅動：{detail}',
    'gpio.line_lost.hint': '查看日誌中輔助程序的輸出，以及核心日誌（`dmesg`）中的 GPIO 錯誤。',
    'gpio.sysfs_unavailable': 'sysfs GPIO 介面 {path} 不可用。',
    'gpio.sysfs_unavailable.hint':
      '沒有編入 CONFIG_GPIO_SYSFS 的核心（目前的 Raspberry Pi OS 與 Debian）沒有 sysfs GPIO：請設定 gpio.type: chardev。',
    'gpio.sysfs_name_unsupported': 'GPIO 線路 {line} 以名稱指定，但 sysfs GPIO 沒有線路名稱。',
    'gpio.sysfs_name_unsupported.hint':
      '請以晶片和偏移指定線路（例如 chip: pinctrl-rp1, offset: 17），或改用可解析名稱的 chardev 後端。',
    'gpio.simulated_fault': 'GPIO 線路 {line} 的模擬故障：{detail}',
    'gpio.simulated_fault.hint': '由測試透過 SimulatedGpio.injectFault() 刻意觸發。',
    'gpio.simulated_not_input': '模擬線路 {line} 不是已開啟的輸入。',
    'gpio.simulated_not_input.hint': '請先以 openInput() 開啟該線路，再用 setInput()、press() 或 release() 驅動它。',
    'gpio.simulated_unknown_line': '沒有標籤或名稱為 {line} 的模擬線路。',
    'gpio.simulated_unknown_line.hint': '請先開啟該線路，並以其標籤、名稱（GPIO17）或 chip:offset 指稱它。',
  },
  'zh-Hans': {
    'gpio.chip_missing': '找不到 GPIO 芯片：{devDir} 中没有 gpiochip 设备。',
    'gpio.chip_missing.hint':
      '请确认这是设备主板、内核支持 GPIO（`ls /dev/gpiochip*`），并且服务允许访问这些设备（DeviceAllow=char-gpiochip rw）。没有硬件的演示请在配置中写 gpio.type: simulated。',
    'gpio.chip_not_found': '找不到线路 {line} 所在的 GPIO 芯片 {chip}；现有芯片：{chips}。',
    'gpio.chip_not_found.hint':
      '运行 `gpiodetect` 列出芯片，并修正引脚对照表中的芯片（docs/gpio.md）。Raspberry Pi 5 的排针在较早的内核是 gpiochip4，较新的内核是 gpiochip0；以线路名称指定可避开这个差异。',
    'gpio.line_not_found': '找不到 GPIO 线路 {line}；已搜索的芯片：{chips}。',
    'gpio.line_not_found.hint':
      '运行 `gpioinfo` 列出线路名称，修正配置中的引脚对照表（docs/gpio.md），并确认 facegate 用户属于 gpio 组，可读写 /dev/gpiochipN。',
    'gpio.offset_out_of_range': 'GPIO 线路 {line}：偏移 {offset} 超出范围，{chip} 只有 {lines} 条线路。',
    'gpio.offset_out_of_range.hint': '运行 `gpioinfo {chip}`，使用小于 {lines} 的偏移，或改用线路名称。',
    'gpio.permission_denied': '打开 {device} 上的 GPIO 线路 {line} 时权限被拒绝。',
    'gpio.permission_denied.hint':
      '把服务用户加入 gpio 组（`usermod -aG gpio facegate`），让 /dev/gpiochipN 属于 gpio 组、权限 0660（systemd/60-facegate-gpio.rules），并在单元文件中保留 DeviceAllow=char-gpiochip rw。',
    'gpio.line_busy': 'GPIO 线路 {line} 已被 {consumer} 占用。',
    'gpio.line_busy.hint': '停止占用该线路的程序（见 `gpioinfo` 的 consumer 列），或把这个信号改接到空闲引脚。',
    'gpio.tool_missing': '找不到 libgpiod 工具 {tool}。',
    'gpio.tool_missing.hint': '安装 libgpiod 工具：`apt-get install gpiod`。',
    'gpio.tool_failed': '{tool} 在 GPIO 线路 {line} 上失败：{detail}',
    'gpio.tool_failed.hint': '手动运行同一命令查看完整输出：{command}',
    'gpio.line_lost': 'GPIO 线路 {line} 已停止驱动：{detail}',
    'gpio.line_lost.hint': '查看日志中辅助进程的输出，以及内核日志（`dmesg`）中的 GPIO 错误。',
    'gpio.sysfs_unavailable': 'sysfs GPIO 接口 {path} 不可用。',
    'gpio.sysfs_unavailable.hint':
      '没有编入 CONFIG_GPIO_SYSFS 的内核（当前的 Raspberry Pi OS 和 Debian）没有 sysfs GPIO：请设置 gpio.type: chardev。',
    'gpio.sysfs_name_unsupported': 'GPIO 线路 {line} 以名称指定，但 sysfs GPIO 没有线路名称。',
    'gpio.sysfs_name_unsupported.hint':
      '请以芯片和偏移指定线路（例如 chip: pinctrl-rp1, offset: 17），或改用可解析名称的 chardev 后端。',
    'gpio.simulated_fault': 'GPIO 线路 {line} 的模拟故障：{detail}',
    'gpio.simulated_fault.hint': '由测试通过 SimulatedGpio.injectFault() 有意触发。',
    'gpio.simulated_not_input': '模拟线路 {line} 不是已打开的输入。',
    'gpio.simulated_not_input.hint': '请先用 openInput() 打开该线路，再用 setInput()、press() 或 release() 驱动它。',
    'gpio.simulated_unknown_line': '没有标签或名称为 {line} 的模拟线路。',
    'gpio.simulated_unknown_line.hint': '请先打开该线路，并用其标签、名称（GPIO17）或 chip:offset 指代它。',
  },
  pt: {
    'gpio.chip_missing': 'Nenhum chip GPIO encontrado: {devDir} não tem nenhum dispositivo gpiochip.',
    'gpio.chip_missing.hint':
      'Verifique se esta é a placa do equipamento, se o kernel tem suporte GPIO (`ls /dev/gpiochip*`) e se o serviço permite os dispositivos (DeviceAllow=char-gpiochip rw). Para uma demonstração sem hardware, defina gpio.type: simulated na configuração.',
    'gpio.chip_not_found': 'Chip GPIO {chip} da linha {line} não encontrado; chips presentes: {chips}.',
    'gpio.chip_not_found.hint':
      'Execute `gpiodetect` para listar os chips e corrija o chip no mapa de pinos (docs/gpio.md). No Raspberry Pi 5 o conector é o gpiochip4 em kernels mais antigos e o gpiochip0 nos mais recentes; indicar a linha pelo nome evita a diferença.',
    'gpio.line_not_found': 'Linha GPIO {line} não encontrada; chips pesquisados: {chips}.',
    'gpio.line_not_found.hint':
      'Execute `gpioinfo` para listar os nomes das linhas, corrija o mapa de pinos na configuração (docs/gpio.md) e verifique se o utilizador facegate pertence ao grupo gpio com acesso de leitura e escrita a /dev/gpiochipN.',
    'gpio.offset_out_of_range': 'Linha GPIO {line}: o offset {offset} está fora do intervalo, {chip} tem {lines} linhas.',
    'gpio.offset_out_of_range.hint': 'Execute `gpioinfo {chip}` e use um offset inferior a {lines}, ou indique a linha pelo nome.',
    'gpio.permission_denied': 'Permissão negada ao abrir a linha GPIO {line} em {device}.',
    'gpio.permission_denied.hint':
      'Adicione o utilizador do serviço ao grupo gpio (`usermod -aG gpio facegate`), deixe /dev/gpiochipN no grupo gpio com modo 0660 (systemd/60-facegate-gpio.rules) e mantenha DeviceAllow=char-gpiochip rw na unidade.',
    'gpio.line_busy': 'A linha GPIO {line} já está a ser usada por {consumer}.',
    'gpio.line_busy.hint':
      'Pare o outro programa que ocupa a linha (coluna consumer de `gpioinfo`) ou mude este sinal para um pino livre.',
    'gpio.tool_missing': 'A ferramenta libgpiod {tool} não foi encontrada.',
    'gpio.tool_missing.hint': 'Instale as ferramentas libgpiod: `apt-get install gpiod`.',
    'gpio.tool_failed': '{tool} falhou na linha GPIO {line}: {detail}',
    'gpio.tool_failed.hint': 'Execute o mesmo comando à mão para ver a saída completa: {command}',
    'gpio.line_lost': 'A linha GPIO {line} deixou de ser controlada: {detail}',
    'gpio.line_lost.hint': 'Consulte no journal a saída do processo auxiliar e no registo do kernel (`dmesg`) os erros GPIO.',
    'gpio.sysfs_unavailable': 'A interface GPIO sysfs {path} não está disponível.',
    'gpio.sysfs_unavailable.hint':
      'Kernels compilados sem CONFIG_GPIO_SYSFS (Raspberry Pi OS e Debian atuais) não têm GPIO sysfs: defina gpio.type: chardev.',
    'gpio.sysfs_name_unsupported': 'A linha GPIO {line} foi indicada pelo nome, mas o GPIO sysfs não tem nomes de linhas.',
    'gpio.sysfs_name_unsupported.hint':
      'Indique a linha por chip e offset (por exemplo chip: pinctrl-rp1, offset: 17) ou use o backend chardev, que resolve nomes.',
    'gpio.simulated_fault': 'Falha simulada na linha GPIO {line}: {detail}',
    'gpio.simulated_fault.hint': 'Provocada de propósito por um teste através de SimulatedGpio.injectFault().',
    'gpio.simulated_not_input': 'A linha simulada {line} não é uma entrada aberta.',
    'gpio.simulated_not_input.hint': 'Abra a linha com openInput() antes de a acionar com setInput(), press() ou release().',
    'gpio.simulated_unknown_line': 'Nenhuma linha simulada tem o rótulo ou o nome {line}.',
    'gpio.simulated_unknown_line.hint': 'Abra a linha primeiro e indique-a pelo rótulo, pelo nome (GPIO17) ou por chip:offset.',
  },
});

export type GpioErrorCode =
  | 'gpio.chip_missing'
  | 'gpio.chip_not_found'
  | 'gpio.line_not_found'
  | 'gpio.offset_out_of_range'
  | 'gpio.permission_denied'
  | 'gpio.line_busy'
  | 'gpio.tool_missing'
  | 'gpio.tool_failed'
  | 'gpio.line_lost'
  | 'gpio.sysfs_unavailable'
  | 'gpio.sysfs_name_unsupported'
  | 'gpio.simulated_fault'
  | 'gpio.simulated_not_input'
  | 'gpio.simulated_unknown_line';

/** Build a FacegateError whose message and hint come from the English catalog entry of `code`. */
export function gpioError(code: GpioErrorCode, params: MessageParams, cause?: unknown): FacegateError {
  return new FacegateError(code, gpioMessages.translate('en', code, params), {
    hint: gpioMessages.translate('en', `${code}.hint`, params),
    params,
    cause,
  });
}
