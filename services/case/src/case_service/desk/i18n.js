// The desk's words in English and Japanese; `t(key, values)` fills {name} placeholders.
const WORDS = {
  en: {
    skip: "Skip to content", title: "Contact center desk", signIn: "Sign in", signOut: "Sign out",
    tenant: "Tenant", agentId: "Agent ID", role: "Role", agent: "Agent", supervisor: "Supervisor",
    language: "Language", presence: "Presence", available: "Available", break: "Break",
    busy: "Busy", wrap_up: "After-call work", offline: "Offline", offers: "Offers", inHand: "Work in hand",
    noOffers: "No offers.", noWork: "Nothing in hand.", accept: "Accept", reject: "Reject",
    complete: "Complete", open: "Open", waited: "waiting {s} s", expiresIn: "expires in {s} s",
    queue: "queue {q}", timeline: "Timeline", reply: "Reply", send: "Send", channel: "Channel",
    olderEntries: "Load older entries", noMore: "The beginning of the history.",
    selectWork: "Choose work in hand to see its customer's timeline.",
    pending: "pending", sent: "sent", delivered: "delivered", read: "read", failed: "failed",
    signedInAs: "{agent} ({tenant})", replySent: "Reply accepted: pending until the channel sends it.",
    offerGone: "The offer for {queue} is gone (taken, expired or withdrawn).",
    presenceNow: "You are now: {presence}.", streamDown: "Live updates lost; reconnecting.",
    notStored: "The customer's timeline is not stored yet.",
    queues: "Queues", queuesLive: "Queues, live", today: "Today", queueName: "Queue", waiting: "Waiting",
    longestWait: "Longest wait", agentsAvailable: "Agents available", offeredCount: "Offered",
    answered: "Answered", abandoned: "Abandoned", serviceLevel: "Service level", asa: "ASA",
    aht: "AHT", fcr: "FCR", csat: "CSAT (4-5)", atRisk: "at risk",
    caseFields: "Case", status: "Status", priority: "Priority", tags: "Tags (comma separated)",
    save: "Save", saved: "Case saved.", internalNote: "Internal note (@agent to mention)", addNote: "Add note",
    conflict: "A colleague changed this case first: their version is shown; edit it again.",
    status_new: "New", status_open: "Open", status_pending: "Pending (waiting on the customer)",
    status_on_hold: "On hold", status_solved: "Solved", status_closed: "Closed",
    priority_low: "Low", priority_normal: "Normal", priority_high: "High", priority_urgent: "Urgent",
    capacity: "Capacity:", kind_chat: "chat", kind_email: "mail", kind_voice: "calls",
    "break:lunch": "Break: lunch", "break:meeting": "Break: meeting", "break:training": "Break: training",
    "break:other": "Break: other", offerMissed: "The offer for {queue} expired and went to someone else; you were put on break (missed offer). Choose Available to take work again.",
    handOver: "Transfer or escalate", toQueue: "To queue", handOverNote: "Note for the next agent",
    transfer: "Transfer", escalate: "Escalate", customerTyping: "The customer is typing…",
    customer: "Customer", unnamed: "(no name)", identities: "Reached us as",
    cases: "Cases",
    attachment: "Attachment", duration: "duration", waitedFor: "waited", recorded: "recorded",
    kpisFor: "KPIs", from: "From", to: "To (inclusive)", show: "Show", perDay: "Offered (dark) and answered (light) per day",
    day: "Day",
    caseQueue: "Queue", assignee: "Assignee (agent ID)",
    agents: "Agents", agentsLive: "Agents, live", agentName: "Agent", timeInState: "In state for",
    offeredNow: "Offers", workInHand: "In hand / capacity",
    caseChannel: "The case's channel {channel}", search: "Search", searchFor: "Words (any part, Japanese too)", searchIn: "In", noHits: "Nothing found.",
    scope_messages: "Messages and notes", scope_customers: "Customers", scope_cases: "Cases",
  },
  ja: {
    skip: "本文へ移動", title: "コンタクトセンター デスク", signIn: "サインイン", signOut: "サインアウト",
    tenant: "テナント", agentId: "エージェントID", role: "役割", agent: "エージェント", supervisor: "スーパーバイザー",
    language: "言語", presence: "在席状態", available: "受付可", break: "休憩",
    busy: "取込中", wrap_up: "後処理", offline: "オフライン", offers: "着信オファー", inHand: "対応中",
    noOffers: "オファーはありません。", noWork: "対応中の案件はありません。", accept: "受諾", reject: "拒否",
    complete: "完了", open: "開く", waited: "待ち時間 {s} 秒", expiresIn: "残り {s} 秒",
    queue: "キュー {q}", timeline: "タイムライン", reply: "返信", send: "送信", channel: "チャネル",
    olderEntries: "過去の履歴を読み込む", noMore: "履歴の最初です。",
    selectWork: "対応中の案件を選ぶと、お客様のタイムラインが表示されます。",
    pending: "送信待ち", sent: "送信済み", delivered: "配信済み", read: "既読", failed: "失敗",
    signedInAs: "{agent}（{tenant}）", replySent: "返信を受け付けました。チャネルが送信するまで送信待ちです。",
    offerGone: "{queue} のオファーは終了しました（他の人が受諾、期限切れ、または取り消し）。",
    presenceNow: "在席状態：{presence}", streamDown: "ライブ更新が切れました。再接続しています。",
    notStored: "お客様のタイムラインはまだ保存されていません。",
    queueName: "キュー名", queues: "キュー", queuesLive: "キューの状況（リアルタイム）", today: "本日", waiting: "待ち件数",
    longestWait: "最長待ち時間", agentsAvailable: "受付可能な人数", offeredCount: "着信",
    answered: "応答", abandoned: "放棄", serviceLevel: "サービスレベル", asa: "平均応答時間",
    aht: "平均処理時間", fcr: "一次解決率", csat: "顧客満足度（4-5）", atRisk: "要注意",
    caseFields: "ケース", status: "ステータス", priority: "優先度", tags: "タグ（カンマ区切り）",
    save: "保存", saved: "ケースを保存しました。", internalNote: "社内メモ（@エージェントIDで通知）", addNote: "メモを追加",
    conflict: "他の担当者が先にこのケースを変更しました。最新の内容を表示しています。もう一度編集してください。",
    status_new: "新規", status_open: "対応中", status_pending: "保留（お客様の返答待ち）",
    status_on_hold: "保留（社内・第三者待ち）", status_solved: "解決済み", status_closed: "クローズ",
    priority_low: "低", priority_normal: "通常", priority_high: "高", priority_urgent: "緊急",
    capacity: "対応枠：", kind_chat: "チャット", kind_email: "メール", kind_voice: "通話",
    "break:lunch": "休憩：昼食", "break:meeting": "休憩：会議", "break:training": "休憩：研修",
    "break:other": "休憩：その他", offerMissed: "{queue} のオファーは期限切れで他の担当者に回りました。休憩（オファー未応答）に切り替わっています。対応を再開するには「受付可」を選んでください。",
    handOver: "転送・エスカレーション", toQueue: "転送先キュー", handOverNote: "引き継ぎメモ",
    transfer: "転送", escalate: "エスカレーション", customerTyping: "お客様が入力中…",
    customer: "お客様", unnamed: "（名前なし）", identities: "連絡先",
    cases: "ケース一覧",
    attachment: "添付ファイル", duration: "通話時間", waitedFor: "待ち時間", recorded: "録音あり",
    kpisFor: "KPI", from: "開始日", to: "終了日（当日を含む）", show: "表示", perDay: "日別の着信（濃）と応答（淡）",
    day: "日付",
    caseQueue: "キュー", assignee: "担当者（エージェントID）",
    agents: "エージェント", agentsLive: "エージェントの状況（リアルタイム）", agentName: "エージェント", timeInState: "状態の継続時間",
    offeredNow: "オファー", workInHand: "対応中／上限",
    caseChannel: "ケースのチャネル {channel}", search: "検索", searchFor: "キーワード（部分一致）", searchIn: "対象", noHits: "見つかりませんでした。",
    scope_messages: "メッセージとメモ", scope_customers: "お客様", scope_cases: "ケース",
  },
};

let language = "en";

export function setLanguage(code) {
  language = WORDS[code] ? code : "en";
  document.documentElement.lang = language;
}

export function currentLanguage() {
  return language;
}

export function t(key, values = {}) {
  const text = WORDS[language][key] ?? WORDS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}
