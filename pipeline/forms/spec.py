"""The template contract: sheet names, column headers and enumerations, defined once.

Everything that touches a template — the blank-workbook generator, the reader's column map,
validation and problem locations — reads this module, so a header renamed here is renamed
everywhere. Sheet names and headers are a contract with other tools: change them only with a
new template version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

CADRE_CATEGORIES = ("专职", "挂职", "兼职")
TASK_CATEGORIES = ("理论宣讲", "交流谈心", "调查研究", "推动工作")
CONTACT_POINT_TYPES = ("团支部", "青春驿站", "青年社会组织", "青年网络组织", "社区团支部", "其他")
ACTIVITY_TYPES = (
    "理论宣讲", "主题团课", "走访基层", "集体座谈", "个别谈心", "调研", "调研报告", "推动工作",
    "线上互动", "线下活动", "驻点", "社区报到", "志愿服务", "开放日", "结对帮扶", "党政沟通",
)  # fmt: skip
YOUTH_FIELDS = ("企业", "农村", "机关", "学校", "街道社区", "社会组织", "新媒体", "其他")
CONTACT_CHANNELS = ("线上", "线下")
YES_NO = ("是", "否")
# Who the cadre is, where a document sets different quotas (optional everywhere)
CADRE_LEVELS = ("书记处", "局处级", "科级", "一般干部", "团支部负责人")
UNIT_TYPES = ("团的领导机关", "团员青年较多的单位", "其他单位")
YOUTH_KINDS = ("普通青年", "基层团干部", "青年人才", "困难青少年")

META_SHEET = "_lianxi"
"""Hidden sheet holding the template id (B1) and version (B2): how ingest recognises a form."""


class Kind(Enum):
    """How a cell's value is parsed and validated."""

    TEXT = "text"
    CHOICE = "choice"
    DATE = "date"
    INTEGER = "integer"
    NUMBER = "number"
    YEAR = "year"


@dataclass(frozen=True)
class Field:
    """One column of a table sheet, or one labelled row of a key-value sheet."""

    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    hint: str = ""
    width: int = 14
    optional_column: bool = False  # may be absent from older files without an error
    maximum: float | None = None  # above this is suspicious: a warning, not an error
    compact: bool = False  # an identity (姓名, 单位): every space removed before comparing


@dataclass(frozen=True)
class Sheet:
    """A sheet of a template: a table (header row, one record per row) or label/value pairs."""

    name: str
    fields: tuple[Field, ...]
    key_value: bool = False
    unique_by: tuple[str, ...] = ()  # a second row with the same values here is a duplicate
    rows: int = 500  # rows prepared with validation in the blank template
    dated_by: str | None = (
        None  # the date that places a row in time (rows after the as-of date don't count)
    )

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True)
class Template:
    """A workbook form: its embedded id and version, file name and sheets in order."""

    id: str
    version: int
    file_name: str
    title: str
    sheets: tuple[Sheet, ...]
    instructions: tuple[str, ...] = field(default=())

    def sheet(self, name: str) -> Sheet:
        return next(s for s in self.sheets if s.name == name)


BASIC_INFO = Sheet(
    "基本信息",
    key_value=True,
    fields=(
        Field("姓名", required=True, compact=True, hint="填写本人姓名"),
        Field("单位", required=True, compact=True,
              hint="填写所在团县（区）委或机关部室全称，与干部名册一致"),
        Field("干部类别", Kind.CHOICE, required=True, choices=CADRE_CATEGORIES,
              hint="从下拉列表选择：专职、挂职或兼职"),
        Field("职务", hint="如：组织部部长、团县委副书记"),
        Field("联系电话", hint="手机或座机号码，座机请带区号"),
        Field("年度", Kind.YEAR, required=True, hint="填写四位年份，如 2026"),
        Field("填报日期", Kind.DATE, hint="本次报送的日期，如 2026-06-28"),
        Field("职级", Kind.CHOICE, choices=CADRE_LEVELS, optional_column=True,
              hint="选填，从下拉列表选择：书记处、局处级、科级、一般干部或团支部负责人"),
        Field("单位类别", Kind.CHOICE, choices=UNIT_TYPES, optional_column=True,
              hint="选填，从下拉列表选择：团的领导机关、团员青年较多的单位或其他单位"),
    ),
)  # fmt: skip

TASK_LIST = Sheet(
    "任务清单",
    unique_by=("任务类别", "主要内容"),
    rows=50,
    fields=(
        Field("任务类别", Kind.CHOICE, required=True, choices=TASK_CATEGORIES, width=14,
              hint="从下拉列表选择：理论宣讲、交流谈心、调查研究、推动工作"),
        Field("主要内容", required=True, width=48,
              hint="写明任务内容；调查研究请写明调研课题，推动工作每项一行"),
        Field("计划完成时间", Kind.DATE, width=14, hint="日期，如 2026-10-31"),
    ),
)  # fmt: skip

CONTACT_POINTS = Sheet(
    "基层联系点",
    unique_by=("联系点名称",),
    rows=20,
    fields=(
        Field("联系点名称", required=True, width=32, hint="基层组织全称，每个联系点一行"),
        Field("联系点类型", Kind.CHOICE, required=True, choices=CONTACT_POINT_TYPES, width=16,
              hint="从下拉列表选择联系点类型"),
        Field("所在地", width=24, hint="县（区）、镇（街道）"),
    ),
)  # fmt: skip

ACTIVITIES = Sheet(
    "活动记录",
    dated_by="日期",
    unique_by=("日期", "活动类型", "联系点", "地点", "青年人数", "团干部人数", "时长（天）", "内容摘要"),
    rows=1000,
    fields=(
        Field("日期", Kind.DATE, required=True, width=12, hint="活动日期，如 2026-03-05"),
        Field("活动类型", Kind.CHOICE, required=True, choices=ACTIVITY_TYPES, width=12,
              hint="从下拉列表选择活动类型"),
        Field("联系点", width=24, hint="在“基层联系点”表中登记的联系点名称"),
        Field("地点", width=20),
        Field("青年人数", Kind.INTEGER, width=10, maximum=2000,
              hint="面对面交流的普通青年人数，整数；宣讲听众也填在这里"),
        Field("团干部人数", Kind.INTEGER, width=10, maximum=500, hint="谈心谈话的团干部人数，整数"),
        Field("时长（天）", Kind.NUMBER, width=10, maximum=31,
              hint="在基层的时间，单位为天，可填 0.5"),
        Field("内容摘要", width=40, hint="简要写明活动内容"),
        Field("佐证材料", width=24, hint="照片、签到表等材料的名称或链接"),
    ),
)  # fmt: skip

YOUTH_ROSTER = Sheet(
    "联系青年名册",
    unique_by=("姓名", "工作单位或学校", "联系方式"),
    rows=300,
    fields=(
        Field("姓名", required=True, width=10),
        Field("领域", Kind.CHOICE, choices=YOUTH_FIELDS, width=10, hint="从下拉列表选择青年所在领域"),
        Field("工作单位或学校", width=28),
        Field("联系方式", width=16, hint="手机号或微信号"),
        Field("联系渠道", Kind.CHOICE, choices=CONTACT_CHANNELS, width=10, hint="线上或线下"),
        Field("首次联系日期", Kind.DATE, width=14),
        Field("最近联系日期", Kind.DATE, width=14),
        Field("重点联系", Kind.CHOICE, choices=YES_NO, width=10,
              hint="是否为重点联系青年（每名干部 7—10 名）"),
        Field("联系点", width=24, optional_column=True,
              hint="选填：该青年所在的基层联系点，与“基层联系点”表中的名称一致"),
        Field("青年类别", Kind.CHOICE, choices=YOUTH_KINDS, width=12, optional_column=True,
              hint="选填，从下拉列表选择：普通青年、基层团干部、青年人才或困难青少年"),
    ),
)  # fmt: skip

CADRE_ROSTER = Sheet(
    "干部名册",
    unique_by=("单位", "姓名"),
    rows=500,
    fields=(
        Field("姓名", required=True, compact=True, width=10),
        Field("单位", required=True, compact=True, width=28, hint="与干部报送的“单位”一致"),
        Field("干部类别", Kind.CHOICE, required=True, choices=CADRE_CATEGORIES, width=10),
        Field("职务", width=20),
        Field("参加考核", Kind.CHOICE, required=True, choices=YES_NO, width=10,
              hint="本年度是否参加联系青年工作考核"),
        Field("联系电话", width=16, optional_column=True, hint="用于催交提醒"),
        Field("职级", Kind.CHOICE, choices=CADRE_LEVELS, width=12, optional_column=True,
              hint="选填：书记处、局处级、科级、一般干部或团支部负责人"),
        Field("单位类别", Kind.CHOICE, choices=UNIT_TYPES, width=16, optional_column=True,
              hint="选填：团的领导机关、团员青年较多的单位或其他单位"),
    ),
)  # fmt: skip

LEDGER = Template(
    id="ledger",
    version=1,
    file_name="联系青年工作台账.xlsx",
    title="团干部密切联系青年工作台账",
    sheets=(BASIC_INFO, TASK_LIST, CONTACT_POINTS, ACTIVITIES, YOUTH_ROSTER),
    instructions=(
        "本台账每名团干部每年一份，全年陆续填写，每次报送整本提交。",
        "1 月底前填好“基本信息”“任务清单”“基层联系点”报送备案（年初报备）。",
        "6 月底前、11 月底前补充“活动记录”“联系青年名册”后再次报送（中期评估、年底考核）。",
        "请不要修改工作表名称和表头，不要删除隐藏的工作表；新增内容直接在表头下方逐行填写。",
        "日期请填写为日期格式，如 2026-03-05；人数填写整数；时长以天为单位，可填 0.5。",
        "有下拉列表的单元格请从列表中选择，不要自行输入其他文字。",
        "不要合并单元格，不要在单元格中使用公式。",
        "“职级”“单位类别”和联系青年名册的“联系点”“青年类别”为选填：所用考核规则按其区分要求时填写。",
        "依据：宝市团发〔2018〕84号《加强和完善团的领导机关干部密切联系青年机制实施方案》。",
    ),
)

ROSTER = Template(
    id="roster",
    version=1,
    file_name="干部名册.xlsx",
    title="参加联系青年工作考核干部名册",
    sheets=(CADRE_ROSTER,),
    instructions=(
        "本名册由各团县（区）委、机关各部室经办人员维护，列出本年度应报送台账的全部干部。",
        "“单位”“姓名”须与干部台账“基本信息”中的填写完全一致，系统据此判断谁已报送。",
        "“参加考核”填“否”的干部不计入考核人数，也不列入未报送名单。",
        "请不要修改工作表名称和表头，不要删除隐藏的工作表。",
    ),
)

# 团粤办发〔2019〕16号 附件1: the cities the departments are paired with
GUANGDONG_CITIES = ("广州", "深圳", "珠海", "汕头", "佛山", "韶关", "河源", "梅州", "惠州", "汕尾",
                    "东莞", "中山", "江门", "阳江", "湛江", "茂名", "肇庆", "清远", "潮州", "揭阳",
                    "云浮")  # fmt: skip

COUNTY_INFO = Sheet(
    "填报信息",
    key_value=True,
    fields=(
        Field("对接部门", required=True, compact=True,
              hint="驻点部门全称，与本部门干部台账“单位”一致，如：组织部"),
        Field("对接地市", Kind.CHOICE, required=True, choices=GUANGDONG_CITIES,
              hint="从下拉列表选择对接的地级以上市（团粤办发〔2019〕16号附件1）"),
        Field("经办团干", hint="填写经办人姓名"),
        Field("联系电话", hint="手机或座机号码，座机请带区号"),
        Field("年度", Kind.YEAR, required=True, hint="填写四位年份，如 2026"),
        Field("填报日期", Kind.DATE, hint="本次报送的日期，如 2026-04-30"),
    ),
)  # fmt: skip

COUNTY_REPORT = Sheet(
    "推动情况",
    dated_by="月份",
    unique_by=("月份", "县（市、区）"),
    rows=200,
    fields=(
        Field("月份", Kind.DATE, required=True, width=12,
              hint="所报月份的最后一天，如 2026-04-30；每个县（区）每月一行"),
        Field("县（市、区）", required=True, compact=True, width=14),
        Field("该地区无团干团支部数量", Kind.INTEGER, width=12),
        Field("本月实地抽查团支部数量", Kind.INTEGER, width=12),
        Field("实地抽查团支部名称", width=28),
        Field("未建支部微信群或群内团员不足3/4的支部数量", Kind.INTEGER, width=14),
        Field("未建微信群或团员不足3/4的支部名称", width=24),
        Field("书记不会操作智慧团建系统的支部数量", Kind.INTEGER, width=14),
        Field("书记不会操作智慧团建系统的支部名称", width=24),
        Field("被抽查团支部团员对活动的评价", width=28, hint="包括活动名称和照片名称，可附页"),
        Field("抓实团支部书记履责经验", width=28, hint="需实地核实，可附页"),
        Field("推动建团非公企业任务底数", Kind.INTEGER, width=12),
        Field("推动建团社会组织任务底数", Kind.INTEGER, width=12),
        Field("本月新建团非公企业数", Kind.INTEGER, width=12),
        Field("本月新增非公企业团员数", Kind.INTEGER, width=12),
        Field("本月新建团社会组织数", Kind.INTEGER, width=12),
        Field("本月新增社会组织团员数", Kind.INTEGER, width=12),
        Field("典型非公企业或社会组织团组织名称", width=24),
        Field("典型团组织建设经验", width=28, hint="可附页"),
        Field("团员注册志愿者比例（%）", Kind.NUMBER, width=12, maximum=100,
              hint="截至本月底，0 至 100 的数字，如 92.5"),
        Field("团员年人均服务次数", Kind.NUMBER, width=12, maximum=365, hint="本年度截至本月底"),
        Field("团员年人均服务时长（小时）", Kind.NUMBER, width=12, maximum=2000,
              hint="本年度截至本月底，单位为小时"),
        Field("基层青年意见", width=28, hint="可附页"),
        Field("本月驻点日期及人员", width=28, hint="如：12日 张明、李华；20日 王芳"),
    ),
)  # fmt: skip

COUNTY_MONTHLY = Template(
    id="county-monthly",
    version=1,
    file_name="县区团的基层建设推动情况.xlsx",
    title="县（市、区）团的基层建设推动情况（月报）",
    sheets=(COUNTY_INFO, COUNTY_REPORT),
    instructions=(
        "本表由驻点部门填写（团粤办发〔2019〕16号附件2），每个对接县（市、区）每月一行，全年陆续填写，每月底整本报送。",
        "“对接部门”须与本部门干部台账“基本信息”中的“单位”完全一致，系统据此把月报计入该部门。",
        "“月份”填写所报月份的最后一天（如 2026-04-30）；数量填写整数；比例填写 0 至 100 的数字。",
        "“团员注册志愿者比例”“团员年人均服务次数”“团员年人均服务时长”填写本年度截至本月底的数。",
        "请不要修改工作表名称和表头，不要删除隐藏的工作表；不要合并单元格，不要使用公式。",
        "依据：团粤办发〔2019〕16号《关于开展团省委专职干部驻点推动团的基层建设 密切联系青年的实施方案（2019年）》。",
    ),
)

TEMPLATES: dict[str, Template] = {t.id: t for t in (LEDGER, ROSTER, COUNTY_MONTHLY)}
