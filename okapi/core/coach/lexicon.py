"""Word lists the key-result classifier reasons with.

Verbs are listed in their base form; `inflections` adds the -s/-ed/-ing forms (and the
irregular ones below), so "reduced", "kept" and "launching" are recognised too.
"""

from __future__ import annotations


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --------------------------------------------------------------------------- verbs

# Keep a number where it is: the mark of a KPI.
MAINTAIN_VERBS = word_set(
    "maintain keep sustain stay remain preserve protect uphold safeguard defend continue "
    "ensure guarantee retain"
)
# Watch a number: also a KPI.
MONITOR_VERBS = word_set("monitor track watch measure observe")
# Move a number up or down: the mark of an outcome (with a target).
UP_VERBS = word_set(
    "increase grow raise boost lift improve double triple quadruple expand accelerate scale "
    "enhance maximize maximise extend strengthen widen multiply climb rise"
)
DOWN_VERBS = word_set(
    "reduce decrease cut lower shrink halve minimize minimise shorten slash trim drop "
    "decline compress lessen"
)
# Verbs that express a change only with explicit numbers: "Move NPS from 31 to 50".
GENERIC_CHANGE_VERBS = word_set("move take get bring shift turn push drive go")
# Arrive at a level: an outcome when followed by a number.
REACH_VERBS = word_set(
    "reach achieve hit attain exceed surpass generate acquire win sign land convert add gain "
    "book capture earn attract secure close onboard break cross top get deliver raise collect "
    "enroll enrol"
)
# Doing work: the mark of a task.
ACTIVITY_VERBS = word_set(
    "hold run post write send call email host attend organize organise conduct interview hire "
    "recruit train make do schedule meet present pitch contact visit record tweet share review "
    "test survey research draft prepare sponsor speak exhibit submit translate photograph shoot "
    "film prototype refactor fix answer reply respond shadow gather teach coach mentor perform "
    "facilitate document distribute blog follow update analyze analyse study demo educate "
    "canvass mail print participate join talk brainstorm plan visit run compile produce "
    "lead"
)
# Producing one deliverable: the mark of a milestone (unless counted: "Ship 6 features").
DELIVERABLE_VERBS = word_set(
    "launch release ship complete finish migrate implement roll deploy build redesign rebuild "
    "rewrite revamp overhaul refresh integrate set establish introduce open obtain secure earn "
    "pass finalize finalise sign close move switch replace upgrade automate deprecate sunset "
    "retire decommission create develop design deliver publish select choose pick get achieve "
    "raise start begin kick adopt define formalize formalise negotiate enter expand transition "
    "consolidate standardize standardise unify remove localize localise certify register "
    "incorporate become go relaunch rebrand digitize digitise modernize modernise "
    "outsource insource centralize centralise found form rollout setup"
)

# Irregular past forms (past tense and participle) of the verbs above.
IRREGULAR = {
    "hold": ("held",),
    "keep": ("kept",),
    "send": ("sent",),
    "write": ("wrote", "written"),
    "make": ("made",),
    "do": ("did", "done", "does"),
    "grow": ("grew", "grown"),
    "drive": ("drove", "driven"),
    "bring": ("brought",),
    "get": ("got", "gotten"),
    "meet": ("met",),
    "lead": ("led",),
    "win": ("won",),
    "shrink": ("shrank", "shrunk"),
    "take": ("took", "taken"),
    "speak": ("spoke", "spoken"),
    "shoot": ("shot",),
    "build": ("built",),
    "set": ("set",),
    "cut": ("cut",),
    "run": ("ran",),
    "go": ("went", "gone", "goes"),
    "rise": ("rose", "risen"),
    "begin": ("began", "begun"),
    "choose": ("chose", "chosen"),
    "teach": ("taught",),
    "become": ("became",),
    "break": ("broke", "broken"),
    "found": (),
    "pay": ("paid",),
    "sell": ("sold",),
    "stay": ("stayed",),
    "study": ("studied", "studies", "studying"),
    "certify": ("certified", "certifies"),
    "unify": ("unified", "unifies"),
}

# Two-word verbs: the particle turns the verb into another class.
PHRASAL = {
    ("roll", "out"): "deliverable",
    ("set", "up"): "deliverable",
    ("go", "live"): "deliverable",
    ("kick", "off"): "deliverable",
    ("spin", "up"): "deliverable",
    ("stand", "up"): "deliverable",
    ("make", "sure"): "maintain",
    ("reach", "out"): "activity",
    ("follow", "up"): "activity",
    ("check", "in"): "activity",
    ("bring", "down"): "down",
    ("bring", "in"): "reach",
    ("cut", "down"): "down",
    ("drive", "down"): "down",
    ("push", "down"): "down",
    ("drive", "up"): "up",
    ("push", "up"): "up",
    ("scale", "up"): "up",
    ("speed", "up"): "up",
    ("ramp", "up"): "up",
}

# Words that negate a change: "without dropping CSAT", "don't let churn rise".
NEGATORS = word_set("without never not don't dont do-not no")

# --------------------------------------------------------------------------- nouns

# Things a team produces itself: counting them measures effort, not results.
OUTPUT_NOUNS = word_set("""
    post posts blog blogs article articles meeting meetings call calls webinar webinars
    campaign campaigns email emails newsletter newsletters video videos reel reels episode
    episodes podcast podcasts interview interviews event events meetup meetups workshop
    workshops training trainings tutorial tutorials guide guides ebook ebooks whitepaper
    whitepapers ad ads experiment experiments test tests hire hires engineer engineers rep reps
    designer designers candidate candidates recruiter recruiters pitch pitches outreach
    proposal proposals template templates playbook playbooks photo photos testimonial
    testimonials survey surveys report reports stand-up stand-ups standup standups retro
    retros dinner dinners gala galas conference conferences hackathon hackathons improvement
    improvements prototype prototypes draft drafts slide slides sprint sprints commit commits
    demo demos 1:1s one-on-ones all-hands tweet tweets message messages letter letters flyer
    flyers brochure brochures infographic infographics feature features release releases
    case-study case-studies mailing mailings
    """)
# Things that measure results: counting them is an outcome.
OUTCOME_NOUNS = word_set("""
    customer customers user users subscriber subscribers logo logos account accounts donor
    donors member members seller sellers buyer buyers host hosts driver drivers rider riders
    patient patients client clients partner partners deal deals pilot pilots lead leads mql
    mqls sql sqls signup signups sign-ups install installs download downloads visitor visitors
    listener listeners follower followers reader readers viewer viewers student students
    graduate graduates learner learners volunteer volunteers merchant merchants team teams
    seat seats order orders transaction transactions booking bookings referral referrals
    trial trials activation activations conversion conversions upgrade upgrades renewal
    renewals backer backers opportunities opportunity sale sales revenue arr mrr gmv
    clinician clinicians households families
    """)
# Metric words: a statement about one of these with a number is about a level.
METRIC_NOUNS = word_set("""
    rate rates churn retention revenue mrr arr nrr grr nps enps csat ces cac ltv payback
    conversion uptime availability latency time margin traffic users mau wau dau signups
    activation adoption engagement satisfaction score cost costs turnover attrition errors
    error incidents defects returns aov gmv roas pipeline leads mqls sqls customers
    subscribers downloads installs donors donations patients wait readmissions readmission
    no-show fraud default chargebacks approval coverage yield burn runway dso share percentage
    ratio growth sales bookings deposits volume value backlog complaints accuracy utilization
    utilisation occupancy liquidity frequency size arpa arpu quota velocity throughput
    stockouts inventory spend budget expenses overhead efficiency productivity rating stars
    downtime speed impressions followers ctr cpa cpc cpl mentions logos seats renewals
    drop-off abandonment losses compliance sla p95 p99 multiple index health headcount
    lead-time cycle-time resolution response visits visitors listeners members
    """)
# Lower is better for these (used to word a suggested change).
LOWER_IS_BETTER = word_set("""
    churn cost costs cac latency time wait errors error incidents defects bugs returns
    complaints burn attrition turnover fraud chargebacks default drop-off abandonment backlog
    downtime no-show readmissions readmission dso payback losses overhead stockouts disputes
    dispute pages spend bounce tickets expenses outages outage delay delays
    """)
# A single thing delivered once: finished or not.
DELIVERABLE_NOUNS = word_set("""
    website site homepage app application program programme platform product version api
    dashboard portal system tool crm erp migration audit certification certificate certified
    compliance compliant license licence clearance marking round funding seed series lease
    office budget handbook policy process framework pilot mvp beta redesign brand identity
    store warehouse center centre plan strategy roadmap agreement deal partnership contract
    manufacturer supplier vendor model engine checkout flow ladder scheme console client sso
    sign-on authentication 2fa mode support marketplace build study room waitlist soc hipaa
    pci iso gdpr fda ce evt dvt pvt listed live launch move transition refresh database
    infrastructure pipeline warehouse integration ats payroll billing board handbook charter
    """)
# Deliverable nouns strong enough to make "Raise a $3M seed round" a milestone.
FUNDING_OR_CERTIFICATION = word_set("""
    round funding seed series certification certificate certified compliance compliant
    license licence clearance marking audit soc hipaa pci iso gdpr fda listed accreditation
    accredited approval
    """)

# --------------------------------------------------------------------------- small words

PERIODS = word_set(
    "day days week weeks month months quarter quarters year years sprint sprints cycle fortnight"
)
PERIOD_ADVERBS = word_set(
    "daily weekly monthly quarterly annually yearly fortnightly biweekly bi-weekly nightly hourly"
)
DETERMINERS = word_set("a an the our your their its this that these those every each all")
# Words that end the object of a verb: what follows is a condition, a time or a number.
OBJECT_BOUNDARY = word_set("""
    from to by per on at for with within among through across after before during while
    without and or so that which above below under over between than into in until via
    using so-that including excluding as against every each
    """)
COMPARATOR_WORDS = word_set(
    "above below under over least most within between fewer less more greater lower higher "
    "max maximum min minimum exceed exceeds beneath"
)
FILLER_START = word_set(
    "we will to successfully fully finally also then help let's lets should must need needs "
    "aim aims goal kr key result please"
)
NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "dozen": 12,
}
MULTIPLIER_WORDS = {
    "hundred": 100,
    "thousand": 1_000,
    "k": 1_000,
    "million": 1_000_000,
    "mm": 1_000_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "billion": 1_000_000_000,
    "bn": 1_000_000_000,
}
CURRENCY_WORDS = word_set("dollars dollar usd eur euro euros gbp pounds pound inr rupees yen chf")
PERCENT_WORDS = word_set("percent per-cent pct percentage")

# Misspellings seen often enough to fix without guessing.
TYPOS = {
    "increse": "increase",
    "incease": "increase",
    "icrease": "increase",
    "inrease": "increase",
    "increace": "increase",
    "incrase": "increase",
    "reduse": "reduce",
    "redcue": "reduce",
    "reudce": "reduce",
    "decrese": "decrease",
    "decreace": "decrease",
    "maintian": "maintain",
    "maintan": "maintain",
    "mantain": "maintain",
    "maintane": "maintain",
    "maintein": "maintain",
    "kepe": "keep",
    "keeep": "keep",
    "imporve": "improve",
    "improove": "improve",
    "impove": "improve",
    "lauch": "launch",
    "luanch": "launch",
    "lanuch": "launch",
    "launc": "launch",
    "relase": "release",
    "realease": "release",
    "releace": "release",
    "acheive": "achieve",
    "achive": "achieve",
    "acheve": "achieve",
    "pubish": "publish",
    "publsh": "publish",
    "pulbish": "publish",
    "grwo": "grow",
    "gorw": "grow",
    "complte": "complete",
    "compelte": "complete",
    "migarte": "migrate",
    "mirgate": "migrate",
    "sustian": "sustain",
    "minimse": "minimise",
    "minimze": "minimize",
    "monitr": "monitor",
    "moniter": "monitor",
    "hier": "hire",
    "implment": "implement",
    "impliment": "implement",
    "intergrate": "integrate",
    "recieve": "receive",
    "retension": "retention",
    "retnetion": "retention",
    "revnue": "revenue",
    "reveune": "revenue",
    "chrun": "churn",
    "custmers": "customers",
    "cusomers": "customers",
}

# Everyday words that must never be "corrected" into a verb they happen to resemble.
COMMON_WORDS = word_set("""
    most past cost lost host list fast last best rest test here there where were wore more
    core care case base rate late date data dare gold hole role sole pole poll full fall
    call tall wall mall hall halt salt sell tell well bell cell yell dell fell feel reel peel
    deep seep jeep beep weep sheep steep sleep sweep need feed seed weed heed deed read
    real ready head lead bead dead mead meat seat heat beat neat feat peat each beach
    teach reach peach leach lunch bunch punch hunch munch bench ranch branch brunch crunch
    power tower mower lower fewer newer sewer lover cover hover mover rover above below
    about after again against among around because before being between both could
    during every from have into just like many much must only other over same should some
    such than that their them then these they this those through under until very what
    when which while with within without would year years month months week weeks day days
    quarter quarters time times team teams people person user users customer customers
    product products service services price prices pricing plan plans page pages site
    sales scale scales staff stuff state states store stores story stories start starts
    share shares shore spare space spend spent speed spent sport spot stop shop shops ship
    chip chips clip slip tips trip trips grip drip drop crop prop stop store total
    """)
