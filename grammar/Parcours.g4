// The grammar of `.journey` files.
//
// The parser generated from this file is used only by compiler/syntax, which
// turns its parse tree into the AST; nothing else sees ANTLR types.
grammar Parcours;

// Puts whitespace on the hidden channel as each token is made (see WS).
@lexer::members {
antlr4::Token* emit() override {
  if (type == WS) setChannel(antlr4::Token::HIDDEN_CHANNEL);
  return antlr4::Lexer::emit();
}
}

file
  : moduleDecl? importDecl* declaration* EOF
  ;

moduleDecl : 'module' qualifiedName ;
importDecl : 'import' qualifiedName ;
qualifiedName : name ('.' name)* ;

declaration
  : profileDecl
  | eventDecl
  | recordDecl
  | enumDecl
  | segmentDecl
  | policyDecl
  | programDecl
  | journeyDecl
  | testDecl
  ;

// ---- Data -----------------------------------------------------------------

enumDecl : 'enum' name '{' name (',' name)* ','? '}' ;

recordDecl : 'record' name '{' attribute* '}' ;

profileDecl : 'profile' '{' attribute* '}' ;

eventDecl : 'event' name wire=STRING? '{' attribute* '}' ;

// `wire` is the key of the attribute in the JSON traits or properties when
// it differs from its name.
attribute : name wire=STRING? ':' typeRef ('=' value=expr)? ','? ;

typeRef
  : 'list' '<' typeRef '>' optional='?'?                     # listType
  | 'enum' '{' name (',' name)* ','? '}' optional='?'?       # inlineEnumType
  | name optional='?'?                                       # namedType
  ;

// ---- Segments and policies ------------------------------------------------

segmentDecl : 'segment' id=name '=' predicate=expr ;

policyDecl : 'policy' name '{' policyRule* '}' ;

policyRule
  : 'cap' limit=expr 'per' period
      (scope=('across' | 'on') name (',' name)*)?
      ('reserve' reserved=expr 'for' reserved_for=name)?
      ('when' condition=expr)?                               # capRule
  | 'priority' name ('>' name)+                              # priorityRule
  | 'prefer' expr                                            # preferRule
  | 'quiet' from=timeOfWeek '..' to=timeOfWeek
      ('on' name (',' name)*)?                               # quietRule
  | 'exempt' name (',' name)*                                # exemptRule
  | 'when' 'capped' ':' action=name ('within' expr)?         # cappedRule
  ;

// `week`, `day`, `month` (calendar, in the recipient's zone) or a rolling
// window such as `7d`.
period : name | DURATION ;

timeOfWeek : day=name? CLOCK 'local'? ;

// ---- Loyalty programs -----------------------------------------------------

programDecl : 'program' name '{' programRule* '}' ;

programRule
  : 'earn' amount=expr pointsWord 'per' unit=expr
      'of' source=expr                                       # earnPerRule
  | 'earn' amount=expr pointsWord 'on' event=name
      (',' 'at' 'most' 'once' 'per' limit=expr)?
      (',' sale='part' 'of' 'the' 'sale')?                   # earnOnRule
  | 'multiply' factor=MULTIPLIER 'when' expr                 # multiplyRule
  | 'burn' 'on' expr                                         # burnRule
  | 'refund' (amount=expr)? 'on' order=expr                  # refundRule
  | 'expire' expr 'after' 'earning'                          # expireRule
  | 'notify' 'expiring' expr 'before'                        # noticeRule
  | 'tier' tierName=name 'at' threshold=expr 'qualifying' pointsWord
      'within' span=expr                                     # tierRule
  | 'keep' 'tier' expr                                       # keepTierRule
  | 'value' expr 'per' pointsWord                            # valueRule
  | 'breakage' expr                                          # breakageRule
  ;

pointsWord : 'point' | 'points' ;

// ---- Journeys -------------------------------------------------------------

journeyDecl : 'journey' name '{' clauses+=journeyClause* steps+=step* '}' ;

journeyClause
  : 'on' trigger ('where' expr)?                             # triggerClause
  | 'every' day=name CLOCK local='local'? ('where' expr)?    # scheduleClause
  | 'exit' 'on' event=name ('as' alias=name)? ('where' expr)? # exitOnClause
  | 'exit' 'when' expr                                       # exitWhenClause
  | 'reentry' ('after' expr | never='never')                 # reentryClause
  | 'holdout' expr                                           # holdoutClause
  | 'goal' event=name ('within' expr)?                       # goalClause
  | 'policy' name                                            # policyClause
  ;

trigger
  : change=('entered' | 'left') '(' name ')'                 # segmentTrigger
  | 'date' expr 'at' CLOCK 'local'?                          # dateTrigger
  | event=name ('as' alias=name)?                            # eventTrigger
  | 'points' 'crossing' expr                                 # pointsTrigger
  ;

step : (label=name ':')? body=stepBody ;

stepBody
  : 'wait' 'until' CLOCK 'local'?                            # waitUntilStep
  | 'wait' 'for' event=name ('as' alias=name)? ('where' condition=expr)?
      'within' limit=expr block ('else' otherwise=block)?    # waitForStep
  | 'wait' expr                                              # waitStep
  | 'send' target=sendTarget templ=STRING
      options+=sendOption*                                   # sendStep
  | 'if' condition=expr then=block otherwise=elseBranch?     # ifStep
  | 'split' splitArm+                                        # splitStep
  | 'task' system=name summary=STRING 'to' team=STRING       # taskStep
  | 'call' 'webhook' hook=STRING ('with' expr)?              # webhookStep
  | 'set' target=expr '=' value=expr                         # setStep
  | 'emit' event=name recordLiteral?                         # emitStep
  | 'award' expr pointsWord ('reason' reason=STRING)?        # awardStep
  | 'freeze' 'account' ('reason' reason=STRING)?             # freezeStep
  | 'require' 'second' 'factor' ('reason' reason=STRING)?    # secondFactorStep
  | 'exit'                                                   # exitStep
  ;

sendTarget
  : 'best' 'of' '[' name (',' name)* ']'
  | channel=name
  ;

sendOption
  : 'with' expr                                              # payloadOption
  | 'priority' level=name                                    # priorityOption
  | 'category' kind=name                                     # categoryOption
  | 'override'                                               # overrideOption
  ;

splitArm : (arm=name ':')? PERCENT block ;

elseBranch
  : 'else' body=block
  | 'else' ifElse=stepBody
  ;

block : '{' steps+=step* '}' ;

// ---- Tests ----------------------------------------------------------------

testDecl : 'test' title=STRING '{' testStatement* '}' ;

testStatement
  : 'given' 'profile' id=STRING recordLiteral?               # givenStatement
  | 'at' TIMESTAMP 'identify' ('for' id=STRING)?
      recordLiteral                                          # identifyStatement
  | 'at' TIMESTAMP event=name ('for' id=STRING)?
      recordLiteral?                                         # eventStatement
  | 'expect' negated='no'? kind=('send' | 'suppressed') channel=name?
      templ=STRING? ('to' id=STRING)? ('at' TIMESTAMP)?
      ('reason' reason=suppressionReason)?             # expectSendStatement
  | 'expect' ('points' | 'tier') expr
      ('for' id=STRING)? ('at' TIMESTAMP)?          # expectLoyaltyStatement
  | 'expect' negated='no'? expectedAction
      (('for' | 'to') id=STRING)? ('at' TIMESTAMP)? # expectActionStatement
  ;

// The actions other than messages, written as their steps are.
expectedAction
  : 'task' system=name? summary=STRING?      # expectedTask
  | 'call'? 'webhook' hook=STRING?           # expectedWebhook
  | 'freeze' 'account'                       # expectedFreeze
  | 'require'? 'second' 'factor'             # expectedSecondFactor
  | 'emit' event=name                        # expectedEmit
  ;

// `exit` is a step keyword, yet also the reason of a message suppressed
// because its contact left the journey while the message was deferred.
suppressionReason
  : name
  | 'exit'
  ;

// ---- Expressions ----------------------------------------------------------

// Alternatives are listed from the tightest binding to the loosest.
// The labels on operands give the AST builder each part directly, without
// searching the children by type.
expr
  : '(' inner=expr ')'                                       # parenExpr
  | '[' (expr (',' expr)*)? ']'                              # listExpr
  | recordLiteral                                            # recordExpr
  | callee=qualifiedName
      '(' (arguments+=argument (',' arguments+=argument)*)? ')' # callExpr
  | object=expr '.' field=name                               # fieldExpr
  | op='-' operand=expr                                      # negateExpr
  | left=expr op=('*' | '/') right=expr                      # multiplyExpr
  | left=expr op=('+' | '-') right=expr                      # addExpr
  | left=expr op=('==' | '!=' | '<' | '<=' | '>' | '>=')
      right=expr                                             # compareExpr
  | left=expr negated='not'? 'in' right=expr                 # inExpr
  | op='not' operand=expr                                    # notExpr
  | left=expr op='and' right=expr                            # andExpr
  | left=expr op='or' right=expr                             # orExpr
  | value=literal                                            # literalExpr
  | id=name                                                  # nameExpr
  ;

// An argument of a call: positional or named (`recency: 90d`), and for
// aggregates, the window of history it reads.
argument : (key=name ':')? value=expr span=window? ;

window
  : 'within' span=windowSpan                                 # withinWindow
  | 'between' far=windowSpan 'and' near=windowSpan 'ago'     # betweenWindow
  ;

windowSpan : DURATION | CALENDAR ;

recordLiteral : '{' (recordField (',' recordField)* ','?)? '}' ;
recordField : name ':' expr ;

literal
  : INT                                                      # intLiteral
  | DECIMAL                                                  # decimalLiteral
  | MONEY                                                    # moneyLiteral
  | DURATION                                                 # durationLiteral
  | CALENDAR                                                 # calendarLiteral
  | PERCENT                                                  # percentLiteral
  | CLOCK 'local'?                                           # clockLiteral
  | TIMESTAMP                                                # timestampLiteral
  | STRING                                                   # stringLiteral
  | value=('true' | 'false')                                 # boolLiteral
  | 'none'                                                   # noneLiteral
  ;

// Words that are keywords in one place but ordinary names in another
// (`profile.email`, a field called `value`, a channel called `email`).
name
  : IDENT
  | 'profile' | 'event' | 'segment' | 'module' | 'record' | 'list'
  | 'entered' | 'left' | 'date' | 'value' | 'tier' | 'points' | 'point'
  | 'reason' | 'category' | 'priority' | 'account' | 'second' | 'factor'
  | 'policy' | 'program' | 'test' | 'capped' | 'earning' | 'expiring'
  | 'crossing' | 'identify' | 'most' | 'once' | 'webhook' | 'qualifying'
  | 'refund' | 'burn' | 'keep' | 'override' | 'best' | 'never' | 'local'
  | 'cap' | 'quiet' | 'goal' | 'split' | 'task' | 'reentry' | 'holdout'
  | 'emit' | 'award' | 'freeze' | 'notify' | 'expire' | 'earn' | 'multiply'
  | 'breakage' | 'exempt' | 'prefer' | 'given' | 'expect' | 'require' | 'at'
  | 'reserve' | 'part' | 'the' | 'sale'
  ;

// A duration in calendar units, counted in the recipient's zone.
CALENDAR
  : DIGITS ' '+ ('day' | 'days' | 'week' | 'weeks' | 'month' | 'months'
                 | 'year' | 'years')
  ;
TIMESTAMP
  : [0-9] [0-9] [0-9] [0-9] '-' [0-9] [0-9] '-' [0-9] [0-9]
    ('T' [0-9] [0-9] ':' [0-9] [0-9] (':' [0-9] [0-9])?
     ('Z' | [+-] [0-9] [0-9] ':' [0-9] [0-9]))?
  ;
CLOCK : [0-9] [0-9]? ':' [0-9] [0-9] ;
MONEY : DIGITS ('.' DIGITS)? ' '? [A-Z] [A-Z] [A-Z] ;
PERCENT : DIGITS ('.' DIGITS)? '%' ;
MULTIPLIER : DIGITS ('.' DIGITS)? 'x' ;
DURATION : DIGITS ('s' | 'm' | 'h' | 'd' | 'w') ;
DECIMAL : DIGITS '.' DIGITS ;
INT : DIGITS ;
STRING : '"' (~["\\\r\n] | '\\' ~[\r\n])* '"' ;
IDENT : [a-zA-Z_] [a-zA-Z_0-9]* ;

fragment DIGITS : [0-9] ('_'? [0-9])* ;

LINE_COMMENT : '//' ~[\r\n]* -> channel(HIDDEN) ;
BLOCK_COMMENT : '/*' .*? '*/' -> channel(HIDDEN) ;
// Whitespace is hidden too, by `emit` in the lexer's members at the top of
// this file rather than by `-> channel(HIDDEN)`: the command would run
// ANTLR's lexer-action machinery for the space between every two tokens,
// a tenth of lexing.
WS : [ \t\r\n]+ ;

// Any other character becomes a token of its own, so the parser reports it
// with a position instead of the lexer dropping it.
UNEXPECTED : . ;
