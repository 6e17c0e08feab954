import { defineMessages } from '../i18n/translate.js';

// Errors of the camera sources, keyed by FacegateError code with a `.hint` beside each. The CLI,
// `facegate run` included, prints them in the technician's language.
const en = {
  'camera.deviceMissing': 'camera device {device} not found',
  'camera.deviceMissing.hint': 'check that the camera is plugged in (`ls /dev/video*`, `v4l2-ctl --list-devices`) and that camera.device names it',
  'camera.notADevice': '{device} is not a video device',
  'camera.notADevice.hint': 'set camera.device to a /dev/videoN node',
  'camera.deviceAccess': 'no permission to open camera device {device}',
  'camera.deviceAccess.hint': 'add the facegate user to the video group and allow the device in the systemd unit (DeviceAllow)',
  'camera.folderUnreadable': 'cannot read image folder {folder}: {detail}',
  'camera.folderUnreadable.hint': 'check camera.path and that the facegate user may read the folder',
  'camera.folderEmpty': 'image folder {folder} contains no .jpg, .jpeg or .png files',
  'camera.folderEmpty.hint': 'put the slideshow images in the folder or point camera.path at another one',
  'camera.folderMixed': 'image folder {folder} mixes JPEG and PNG files',
  'camera.folderMixed.hint': 'convert the images to one format',
  'camera.frameTimeout': 'no camera frame within {timeoutMs} ms',
  'camera.frameTimeout.hint': 'check the camera state and the last camera error in the log',
  'camera.ended': 'camera input {input} has ended',
  'camera.ended.hint': 'no more frames are analysed: check the camera connection and the last camera error in the log, then restart facegate',
} as const;

type Key = keyof typeof en;

const zhHant: Record<Key, string> = {
  'camera.deviceMissing': '找不到攝影機裝置 {device}',
  'camera.deviceMissing.hint': '請確認攝影機已連接（`ls /dev/video*`、`v4l2-ctl --list-devices`），且 camera.device 指向它',
  'camera.notADevice': '{device} 不是視訊裝置',
  'camera.notADevice.hint': '請把 camera.device 設為 /dev/videoN 裝置節點',
  'camera.deviceAccess': '沒有權限開啟攝影機裝置 {device}',
  'camera.deviceAccess.hint': '請把 facegate 使用者加入 video 群組，並在 systemd 單元中允許該裝置（DeviceAllow）',
  'camera.folderUnreadable': '無法讀取影像資料夾 {folder}：{detail}',
  'camera.folderUnreadable.hint': '請檢查 camera.path，並確認 facegate 使用者可讀取該資料夾',
  'camera.folderEmpty': '影像資料夾 {folder} 中沒有 .jpg、.jpeg 或 .png 檔案',
  'camera.folderEmpty.hint': '請把輪播影像放入該資料夾，或把 camera.path 指向另一個資料夾',
  'camera.folderMixed': '影像資料夾 {folder} 同時有 JPEG 及 PNG 檔案',
  'camera.folderMixed.hint': '請把影像轉換為同一種格式',
  'camera.frameTimeout': '{timeoutMs} 毫秒內沒有收到攝影機影格',
  'camera.frameTimeout.hint': '請檢查攝影機狀態及日誌中最後一個攝影機錯誤',
  'camera.ended': '攝影機輸入 {input} 已結束',
  'camera.ended.hint': '之後不再分析任何影格：請檢查攝影機連接及日誌中最後一個攝影機錯誤，然後重新啟動 facegate',
};

const zhHans: Record<Key, string> = {
  'camera.deviceMissing': '找不到摄像头设备 {device}',
  'camera.deviceMissing.hint': '请确认摄像头已连接（`ls /dev/video*`、`v4l2-ctl --list-devices`），且 camera.device 指向它',
  'camera.notADevice': '{device} 不是视频设备',
  'camera.notADevice.hint': '请把 camera.device 设为 /dev/videoN 设备节点',
  'camera.deviceAccess': '没有权限打开摄像头设备 {device}',
  'camera.deviceAccess.hint': '请把 facegate 用户加入 video 组，并在 systemd 单元中允许该设备（DeviceAllow）',
  'camera.folderUnreadable': '无法读取图像文件夹 {folder}：{detail}',
  'camera.folderUnreadable.hint': '请检查 camera.path，并确认 facegate 用户可读取该文件夹',
  'camera.folderEmpty': '图像文件夹 {folder} 中没有 .jpg、.jpeg 或 .png 文件',
  'camera.folderEmpty.hint': '请把轮播图像放入该文件夹，或把 camera.path 指向另一个文件夹',
  'camera.folderMixed': '图像文件夹 {folder} 同时有 JPEG 及 PNG 文件',
  'camera.folderMixed.hint': '请把图像转换为同一种格式',
  'camera.frameTimeout': '{timeoutMs} 毫秒内没有收到摄像头帧',
  'camera.frameTimeout.hint': '请检查摄像头状态及日志中最后一个摄像头错误',
  'camera.ended': '摄像头输入 {input} 已结束',
  'camera.ended.hint': '之后不再分析任何帧：请检查摄像头连接及日志中最后一个摄像头错误，然后重新启动 facegate',
};

const pt: Record<Key, string> = {
  'camera.deviceMissing': 'dispositivo de câmara {device} não encontrado',
  'camera.deviceMissing.hint': 'verifique que a câmara está ligada (`ls /dev/video*`, `v4l2-ctl --list-devices`) e que camera.device a indica',
  'camera.notADevice': '{device} não é um dispositivo de vídeo',
  'camera.notADevice.hint': 'defina camera.device como um nó /dev/videoN',
  'camera.deviceAccess': 'sem permissão para abrir o dispositivo de câmara {device}',
  'camera.deviceAccess.hint': 'acrescente o utilizador facegate ao grupo video e permita o dispositivo na unidade systemd (DeviceAllow)',
  'camera.folderUnreadable': 'não é possível ler a pasta de imagens {folder}: {detail}',
  'camera.folderUnreadable.hint': 'verifique camera.path e que o utilizador facegate pode ler a pasta',
  'camera.folderEmpty': 'a pasta de imagens {folder} não contém ficheiros .jpg, .jpeg ou .png',
  'camera.folderEmpty.hint': 'coloque as imagens da sequência na pasta ou indique outra em camera.path',
  'camera.folderMixed': 'a pasta de imagens {folder} mistura ficheiros JPEG e PNG',
  'camera.folderMixed.hint': 'converta as imagens para um só formato',
  'camera.frameTimeout': 'nenhuma imagem da câmara em {timeoutMs} ms',
  'camera.frameTimeout.hint': 'verifique o estado da câmara e o último erro da câmara no registo',
  'camera.ended': 'a entrada de câmara {input} terminou',
  'camera.ended.hint': 'nenhuma imagem é analisada a seguir: verifique a ligação da câmara e o último erro da câmara no registo e reinicie o facegate',
};

export const cameraMessages = defineMessages<Key>({ en, 'zh-Hant': zhHant, 'zh-Hans': zhHans, pt });
