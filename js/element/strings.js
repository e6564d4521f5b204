// @ts-check
// UI text in the two languages the tutoring use case needs first. Keys not
// found in a language fall back to English so a partial table never shows
// a blank control.
const EN = {
  images: "Problem images",
  dropHint: "Drop, paste or choose images of the problem",
  choose: "Choose images",
  camera: "Take a photo",
  remove: "Remove image",
  preparing: "Preparing image…",
  imageFailed: "Could not read this image",
  question: "Your question",
  placeholder: "Ask about the problem… (Ctrl+Enter to send)",
  followUpPlaceholder: "Ask a follow-up question…",
  ask: "Ask",
  stop: "Stop",
  newProblem: "New problem",
  options: "Options",
  model: "Model",
  protocol: "Protocol",
  thinking: "Think before answering",
  budgetDefault: "default",
  budget: "Thinking budget (tokens)",
  budgetNone: "Budget not accepted by this model",
  budgetNeedsThinking: "A budget applies only while thinking is on",
  alwaysThinks: "This model always thinks; thinking cannot be turned off",
  region: "Region",
  regionByRelay: "chosen by the relay",
  regionUnknown: "unknown",
  regionMock: "none — the relay's offline mock answers",
  loadingConfig: "Loading models…",
  thinkingLive: "Thinking",
  thoughtFor: "Thought for",
  tokens: "tokens",
  answer: "Answer",
  you: "You",
  defaultQuestion: "Solve the problem in the image. Explain each step.",
  needInput: "Add an image or type a question first.",
  tokensLeft: "{n} tokens left today",
  stopped: "Stopped. The partial answer is kept but not added to the conversation.",
  newConversation: "Settings changed: this question starts a new conversation.",
  finish: "Finished",
  finishLength: "The answer hit the length limit and may be incomplete.",
  inputTokens: "input",
  outputTokens: "output",
  reasoningTokens: "thinking",
  imageTokens: "image",
  requestId: "Request id",
  seconds: "s",
  errorTitle: "Something went wrong",
  apiKeyRefused:
    "<visual-reasoning-tutor>: the api-key attribute is refused and ignored. " +
    "Anything written into a page's HTML is public: every visitor could read the key and spend your quota. " +
    "Run the visual-reasoning relay (it keeps the key on the server and adds it to each request) " +
    "and point the element's base-url at it.",
};

const ZH = {
  images: "题目图片",
  dropHint: "拖放、粘贴或选择题目图片",
  choose: "选择图片",
  camera: "拍照",
  remove: "移除图片",
  preparing: "正在处理图片…",
  imageFailed: "无法读取此图片",
  question: "你的问题",
  placeholder: "就这道题提问…（Ctrl+Enter 发送）",
  followUpPlaceholder: "继续追问…",
  ask: "提问",
  stop: "停止",
  newProblem: "新题目",
  options: "选项",
  model: "模型",
  protocol: "协议",
  thinking: "先思考再回答",
  budgetDefault: "默认",
  budget: "思考预算（token）",
  budgetNone: "此模型不接受思考预算",
  budgetNeedsThinking: "仅在开启思考时使用预算",
  alwaysThinks: "此模型总会思考，无法关闭",
  region: "地域",
  regionByRelay: "由中转服务决定",
  regionUnknown: "未知",
  regionMock: "无（中转服务的离线模拟应答）",
  loadingConfig: "正在加载模型…",
  thinkingLive: "思考中",
  thoughtFor: "思考用时",
  tokens: "token",
  answer: "回答",
  you: "你",
  defaultQuestion: "请解答图中的题目，并解释每一步。",
  needInput: "请先添加图片或输入问题。",
  tokensLeft: "今日还剩 {n} 个 token",
  stopped: "已停止。部分回答保留在此，但不会加入对话。",
  newConversation: "设置已更改：这个问题将开始新的对话。",
  finish: "完成",
  finishLength: "回答达到长度上限，可能不完整。",
  inputTokens: "输入",
  outputTokens: "输出",
  reasoningTokens: "思考",
  imageTokens: "图片",
  requestId: "请求 ID",
  seconds: "秒",
  errorTitle: "出错了",
};

/** @typedef {Record<string, string>} Table */

/**
 * The UI text of `lang` (a BCP 47 tag; anything unknown is English).
 * @param {string | null | undefined} lang
 * @returns {(key: string) => string}
 */
export function strings(lang) {
  const l = String(lang || "").toLowerCase();
  /** @type {Table | null} */
  const table = l.startsWith("zh") ? ZH : null;
  /** @type {Table} */
  const en = EN;
  return (key) => (table && table[key]) || en[key] || key;
}

export const API_KEY_REFUSED = EN.apiKeyRefused;
