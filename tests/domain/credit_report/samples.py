"""Sample documents shared by the credit-report, rules and CLI tests."""

SPEC_EXAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<CreditReport version="1.0" reportId="R20261129000123" reportDate="2026-11-29">
  <Query reason="贷款审批" institution="襄汾农商行" queriedAt="2026-11-29T10:02:00+08:00"/>
  <Subject name="王建国" idType="身份证" idNumber="141023196803150357"/>
  <PersonalInfo>
    <Identity gender="男" birthDate="1968-03-15" maritalStatus="已婚" phone="13800000000"/>
    <Spouse name="李秀英" idNumber="141023197511020049"/>
    <Residence address="山西省临汾市襄汾县新城镇西街村3号" since="1990-01-01"/>
    <Employment employer="" occupation="农、林、牧、渔业生产人员" since=""/>
  </PersonalInfo>
  <Accounts>
    <Account id="A1" kind="D1" loanType="51" institutionType="11" institution="某农商行"
             openedOn="2023-03-01" dueOn="2026-03-01" amount="50000.00" balance="0.00"
             guarantee="4" status="3" class="1" currentOverduePeriods="0"
             currentOverdueAmount="0.00" reportedOn="2026-10-31">
      <Repayment end="2026-10" statuses="////////////////NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNCCCCCCCC"/>
      <Special type="提前还款" on="2026-03-01" amount="12000.00"/>
    </Account>
    <Account id="C1" kind="R2" institutionType="11" institution="某银行" openedOn="2019-05-10"
             amount="20000.00" balance="3512.40" used="3512.40" guarantee="4" status="1"
             currentOverduePeriods="0" currentOverdueAmount="0.00" reportedOn="2026-11-05">
      <Repayment end="2026-11" statuses="NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN"/>
    </Account>
  </Accounts>
  <Guarantees>
    <Guarantee institution="某农商行" borrowerName="张志强" amount="30000.00" balance="18000.00"
               class="1" relation="保证人" reportedOn="2026-10-31"/>
  </Guarantees>
  <QueryRecords>
    <Record on="2026-11-29" institution="襄汾农商行" reason="贷款审批"/>
    <Record on="2026-08-14" institution="某银行" reason="信用卡审批"/>
  </QueryRecords>
  <PublicRecords>
    <Record kind="强制执行" on="2021-06-01" amount="8000.00" status="执行完毕"/>
  </PublicRecords>
</CreditReport>
""".encode()

CLEAN_60 = "N" * 60

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<CreditReport version="1.0" reportId="&lol9;" reportDate="2026-11-29"/>
"""


def with_statuses(statuses: str) -> bytes:
    """The spec example with account C1's status string replaced (any length, any symbols)."""
    return SPEC_EXAMPLE.replace(f'statuses="{CLEAN_60}"'.encode(), f'statuses="{statuses}"'.encode())
