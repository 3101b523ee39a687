/**
 * A few thousand ordinary English words (written for this project, sorted,
 * lowercase a-z): what noise mode pads texts with, so a clean target talks
 * the way a chatty model does. No word holds "zq", the canary prefix.
 */
const TEXT = `
abandon ability able about above abroad absence absent absolute absorb abstract academic accent accept
accident accompany accomplish according account accountant accurate accuse achieve achievement acid
acknowledge acquire acre across act action active activity actor actress actual actually adapt add addition
additional address adequate adjust adjustment administration administrator admire admission admit adopt adore
adult advance advanced advantage adventure advert advertising advice advise adviser advocate aerial affair
affect affection afford afraid after afternoon afterward again against age agency agenda agent aggressive
agile ago agree agreement ahead aid aide aim air aircraft airline airport aisle alarm album alert alien alive
all alley alliance allow ally almond almost alone along aloud alphabet already also alter alternative although
always amateur amazing ambassador ambition amendment among amount ample amuse an analysis analyst analyze
ancestor anchor ancient and anger angle angry animal ankle anniversary announce annoy annual another answer
antique anxiety anxious any anybody anymore anyone anything anyway anywhere apart apartment apology apparent
apparently appeal appear appearance applause apple appliance application apply appoint appointment appreciate
approach appropriate approval approve approximately apricot apron aquarium arcade arch architect architecture
arctic area arena argue argument arise arm armchair armed aroma around arrange arrangement arrest arrival
arrive arrow art article artist artistic artwork as ashamed aside ask asleep aspect assembly assert assess
assessment asset assign assignment assist assistance assistant associate association assume assumption assure
asthma at athlete athletic atlas atmosphere attach attempt attend attention attic attitude attorney attract
attractive attribute auction audience audio august aunt author authority automatic autumn available avenue
average avocado avoid awake award aware awareness away awful awkward axis baby bachelor back background
backpack backyard bacon bad badge badly bag baggage bait bake bakery balance balcony ball ballet balloon
ballot bamboo ban banana band bandage bandit bank banker banner bar barely bargain bark barn barrel barrier
base baseball basement basic basically basin basis basket basketball batch bathroom bathtub battery battle bay
be beach bead beam bean bear beard beast beat beautiful beauty beaver because become bed bedroom bedtime
beetle before beggar begin beginner beginning behavior behind being belief believe bell belong beloved below
belt bench bend beneath benefit berry best bet better between beverage beyond bicycle big bike bill billion
bind biological bird birth birthday biscuit bit bite bitter black blade blame blank blanket blender blind
blink bliss block blond blood blossom blouse blow blue blush board boat body boiler bold bolt bond bone bonnet
bonus book bookcase boost boot booth border boredom born borrow boss both bother bottle bottom boulder bounce
boundary bowl box boxer boy bracelet brain brake branch brand brass brave bread break breakdown breakfast
breast breath breathe breeze brick bride bridge brief briefly bright brilliant bring brisk broad broccoli
brochure broken brook broom broth brother brown brunch brush bubble buck bucket buckle bud buddy budget
buffalo buffet build building bulb bulk bump bunch bundle bunny burden burger burn burrow bury bus bush
business busy but butcher butter butterfly button buy buyer buzz by cabbage cabin cabinet cable cactus cafe
cake calculate calendar call calm camel camera camp campaign campus can canal cancel candidate candle candy
canoe canvas canyon capability capable capacity cape capital captain capture car caravan carbon card care
career careful carefully cargo carnival carpenter carpet carrier carrot carry cart cartoon carving case cash
cast castle cat catalog catch category caterpillar cattle cause cautious cave cedar ceiling celebrate
celebration celebrity cell cellar cement center central century ceremony certain certainly chain chair
chairman chalk challenge chamber champagne champion championship chance change channel chaos chapel chapter
character characteristic characterize charcoal charge charity charming chart chase chat cheap check cheek
cheerful cheese chef chemical cherry chess chest chew chicken chief child childhood chill chilly chimney chin
chip chocolate choice choose chore chorus cider cinema cinnamon circle circumstance circus cite citizen city
civil civilian claim clam clap class classic clay clean clear clearly clerk clever click client cliff climate
climb clinic clip cloak clock close closely closer clothes clothing cloud clover clumsy cluster clutch coach
coal coalition coast coat cocoa coconut code coffee cognitive coin cold collapse collar colleague collect
collection collective college colonial color column comb combination combine come comedy comet comfort
comfortable comic command commander comment commercial commission commit commitment committee common
communicate communication community compact company compare comparison compass compete competition competitive
competitor complain complaint complete completely complex component compose composition comprehensive computer
concentrate concentration concept concern concerned concert conclude conclusion concrete condition conduct
cone conference confetti confidence confident confirm conflict confront confusion congressional connect
connection consciousness consensus consequence conservative consider considerable consideration consist
consistent console constant constantly constitute constitutional construct construction consultant consume
consumer consumption contact contain contemporary content contest context continue contract contrast
contribute contribution control controversial controversy convention conventional conversation convert
conviction convince cook cooker cookie cooking cool cooperation cop cope copper copy coral core cork corn
corner corporate corporation correct correspondent corridor cost costume cosy cottage cotton couch cough could
council counselor count counter country county couple coupon courage course court courtyard cousin cover
coward cozy crab crack cracker cradle craft cramp crane crash crater crave crayon crazy cream create creative
creature credit creek crew crib cricket crisis crisp crispy criteria critic critical criticism criticize
crooked crop cross crouch crow crowd crown crucial cruise crumb crumble crunch crust cry crystal cube cucumber
cuddle cuisine cultural culture cup cupboard cupcake curb curious curly current currently curriculum curry
curtain cushion custom customer cut cute cycle dad daily dairy daisy dam damage dance danger dangerous dare
dark data daughter dawn day daydream deadline deaf deal dear debate debt decade decent decide decimal decision
deck decline decorate deep deeply deer defeat defend defense define definitely definition degree delay
delicate delight deliver delivery demand democracy demonstrate demonstration dentist deny department depend
dependent depending depict deposit depth deputy derive describe desert deserve design designer desire desk
desperate despite dessert destroy destruction detail detailed detect determine develop development device
devote diagram dialogue diamond diary dice diet differ difference different differently difficult digital
dimension dining dinner dinosaur diploma diplomatic direct direction directly director dirt dirty disability
disagree disappear disaster discipline discount discourse discover discovery discrimination discuss discussion
dish dismiss disorder display distance distant distinct distinction distinguish distribute distribution
district dive diverse diversity divide division dizzy do dock doctor document dog dollar dolphin dome domestic
dominant dominate donkey door doorway dot double doubt dough doughnut dove down download downtown dozen draft
drag dragon drain drama dramatic dramatically draw drawer drawing dream dress dresser drift drill drink drip
drive driver drizzle drop drowsy drum dryer duck duckling due dull dune dungeon during dusk dust duty dwarf
each eager eagle ear early earn earnings earring earth ease easel easily east eastern easy eat echo eclipse
economic economics economist economy ecosystem edge edition editor educate education educational educator eel
effect effective effectively efficiency efficient effort eight either elastic elbow elderly elect elegant
element elementary elephant elevator eliminate elite else elsewhere email embassy ember emblem embrace emerald
emerge emergency emission emotion emotional emphasis emphasize employ employee employer employment empty
enable enamel encounter encourage end energy engage engagement engine engineer engineering engrave enjoy
enjoyable enormous enough ensure enter entertainment enthusiasm entire entrance entry envelope environment
environmental episode equal equally equator equipment era erase errand error escape especially essay essential
essentially establish estate estimate ethics evaluate evaluation even evening event eventually ever evergreen
every everybody everyone everything evidence evident evil evolution evolve exact exactly exam examination
examine example excellent except exception exchange excited exciting excuse executive exercise exhibit
exhibition exist existence existing exit exotic expand expansion expect expectation expense expensive
experience experiment expert explain explanation exploration explore expose exposure express expression extend
extension extensive extent external extra extraordinary extreme extremely eye fabric fabulous face facility
fact factor faculty fade faded fail fairground fairly fairy faith faithful falcon fall false familiar family
famine famous fan fancy fang fantasy far farewell farm farmer fashion fast fat fate father faucet fault favor
favorite fax fear feast feather feature federal fee feed feel feeling female fence fern ferry festival few
fiber fiction fiddle field fierce fifteen fifth fifty fig fight figure file fill film filter final finally
finance financial find finding fine finger finish fire fireplace firework firm firmly first fish fishing fist
fit fitness five fix flag flame flannel flap flashlight flask flat flavor flee fleet flesh flick flight flint
flip float flood floor flour flow flower fluffy fluid flute flutter fly foam focus fog foggy fold folder folk
follow following food foot football footprint for force forecast forehead foreign forest forever forget
forgive fork form formal former formula forth fortune forward fossil foundation founder fountain four fourth
fox fragile fragrance frame framework frankly freckle free freedom freeze freezer frequency frequent
frequently fresh fridge friend friendly friendship frighten fringe frog from front frost frosting frown fruit
frustration fry fudge fuel full fully fun function fund fundamental funding funny furnace furniture
furthermore fuss future gadget gain galaxy gallery gallon gallop game gap garage garbage garden gargle garlic
gas gate gather gauge gaze gazebo gear gecko gem gender gene general generally generate generation generous
genetic genius genre gentle gentleman gently gesture get geyser ghost giant gift gifted giggle ginger
gingerbread giraffe girl give glacier glad glance glare glass glaze glimpse glitter global globe gloomy glossy
glove glow glue gnome go goal goat goggles gold golden golf good goose gorilla gossip gourd government gown
grab graceful grade gradually graduate graffiti grain grand grandfather grandmother grant grape grasp grass
grasshopper grateful grave gravel gravy gray great greatest greedy green greet grill grin grip groan grocery
groom ground group grow growth grumpy guarantee guard guess guest guidance guide guideline guilt guilty guitar
gull gulp gum gutter guy gym habit habitat hair half hallway halt hammer hamster hand handbag handful handle
handshake handsome hang hangar happen happiness happy harbor hard hardly harm harmony harp harvest hasty hat
hatch hate haunt have hawk hay hazard hazel he head headache headline headquarters health healthy heap hear
hearing heart heat heater heaven heavy hedge hedgehog height helium hello helmet help helpful hen hence her
herb here heritage hero herself hey hiccup hide high highlight highly highway hike hilarious hill him himself
hinge hip hire his historian historic historical history hit hive hobby hockey hold holiday hollow home
homeless homework honest honey honor hoof hook hoop hop hope horizon horn horror horse hose hospital host hot
hotel hour house household housing how however hug huge hum human humble humid hundred hunt hunter hunting
hurry hurt husband husky hut hymn ice icicle icon idea ideal identify identity if igloo ignore illegal
illusion illustrate image imagination imagine immediate immediately immigrant immigration immune impact
implement implication imply important impose impossible impress impression impressive improve improvement in
inbox incentive incident include including income incorporate increase increased increasingly incredible
indeed independence independent index indicate indication individual indoor industrial industry infant
infection inflation influence inform information initial initially initiative injury inkwell inner innocent
innovation input inquiry insect inside insight insist inspire install instance instead institution instruction
instrument insurance intellectual intelligence intend intense intensity intention interaction interest
interested interesting internal international interpret interpretation intervention interview into introduce
introduction invest investigate investigation investigator investment investor invite invoice involve involved
involvement iris iron island isolate issue it itch item its itself ivory ivy jacket jaguar jam janitor jar
jazz jeans jeep jelly jet jewel jigsaw jingle job jog join joint joke jolly journal journalist journey joy
judge judgment juggle juice jumbo jump jungle junior jury just justice justify kayak keep kernel ketchup
kettle key keyboard kid kidney kind king kiosk kiss kitchen kite kitten kiwi knee knife knit knob knock knot
know knowledge koala lab label labor laboratory lace lack ladder ladle lady lagoon lake lamb lamp land
landlord landscape lane language lantern lap laptop large largely lasagna laser lasso last latch late lately
later latter laugh launch lava law lawn lawyer lay layer lazy lead leader leadership leading leaf league lean
learn leash least leather leave lecture ledge left leftover leg legacy legal legend legislation legitimate
lemon lemonade length lens leopard less lesson let letter lettuce level lever liberal library license lick lid
lie life lifestyle lifetime lift light like likely lilac lily limb lime limit limitation limited limp line
linen linger link lion lip lipstick liquid list listen literally literary literature litter little live
livestock living lizard load loan lobby lobster local locate location lock locker locket lodge loft log logic
lollipop lonely long look loom loose lose loss lot lottery lotus loud love lovely lover low lower luck lucky
luggage lullaby lumber lump lunar lunch lung lush lyric macaroni machine magazine magic magnet magpie mail
mailbox main mainly mainstream maintain maintenance major majority make male mall mammal manage management
manager mango manner mansion manufacturer manufacturing many map maple marathon marble margin marina mark
market marketing marriage married marry marsh mascot mask mass massive master match mate material math matter
mattress maximum may maybe maze me meadow meal mean meaning meanwhile measure meat mechanism medal media
medical medication medicine medium meet meeting mellow melody melon member membership memory mental mention
mentor menu mere merely meringue mermaid mess message messy metal meteor meter method microwave midday middle
midnight might mild mileage milk milkshake million mind mindful mine miner minimum minister minor minority
mint minus minute miracle mirror mischief miss missing mission mist mistake mitten mix mixture moat mobile
mode model modem moderate modern modest moist molasses mole mom moment money monitor monk monkey monster month
mood moon mop moral more moreover morning morsel mortgage mosaic mosquito moss most mostly motel moth mother
motion motivation motor motto mount mountain mouse mouth move movement movie much muddy muffin mug mule mumble
mural muscle museum mushroom music musical musician must mustard mutter mutual my myself mystery myth nachos
name nap napkin narrative narrow nasty nation national native natural nature near nearly neat necessarily
necessary neck nectar need needle negative negotiate negotiation neighbor neighborhood neither nephew nerve
nervous nest net network neutral never nevertheless new newly news newspaper next nibble nice nickel niece
night nimble no noble nobody nod noise nomination none nonetheless noodle nor normal normally north nose not
note notebook nothing notice notion novel now nowhere nuclear nudge nugget number nurse nut nutmeg oak oar
oasis oat oatmeal obey object objective obligation oboe observation observe observer obtain obvious obviously
occasion occasionally occupation occupy occur ocean odd odds of offense offensive offer offering office
officer official often oil old olive omelet on once one ongoing onion online only onto open opening openly
opera operate operating operation operator opinion opponent opportunity oppose opposite opposition option or
orange orbit orchard orchestra order ordinary organ organic organization organize orientation origin original
originally ostrich other others otherwise otter ought our ourselves out outcome outdoor outfit outlet output
outside oval oven over overall overcoat overcome overlook owe owl own owner ownership oyster pace pack package
pad paddle padlock page pain painful paint painting pair pajamas palace pale palm pamphlet pan pancake panda
panel panic pant pantry paper parade parcel parent parka parking parrot parsley part participant particular
particularly partly partner partnership party pass passage passenger passion past pasta pastry pasture patch
patience patient patio patrol pattern pause pavement paw pay payment peace peach peacock peak peanut pear
pearl pebble pedal peel peer pelican penalty pencil penguin pension people pepper pepperoni per perceive
percentage perception perfect perfectly perform performance perfume perhaps period permanent permission permit
person personal personality personally personnel perspective persuade pet petal pew pharmacy phase phenomenon
philosophy phone photo photograph photographer phrase physical physician physics piano pick pickle picnic
picture piece pier pigeon piglet pile pillar pillow pilot pinch pine pineapple pink pipe pitch pitcher pizza
place plaid plan planet plank planning plant plastic plate platform play player playground plaza plenty pliers
plot plug plum plumber plump plus pocket podium poem poet poetry point pole police policy polish poll
pollution pond pony pool poor popcorn poppy popular population porch porcupine porridge port portion portrait
portray pose position positive possess possession possibility possible possibly postcard poster pot potato
potential potentially pottery pouch pound pour poverty powder power powerful practical practice precisely
predict prefer preference preparation prepare presence present presentation preserve president press pressure
presumably pretty prevent previous previously price pride primarily primary prime principal principle print
prior priority privacy private prize probably problem procedure proceed process produce producer product
production professional professor profile profit profound program progress project prominent promise promote
prompt proof proper properly property proportion proposal propose prospect protect protection protein protest
proud prove provide province provision psychological psychologist psychology public publication publicly
publish publisher pudding puddle puff pull pulley pump pumpkin punch punishment pupil puppet puppy purchase
pure purpose purse pursue push put puzzle quaint qualify quality quarry quarter quest question quick quickly
quiet quietly quilt quit quite quiz quote rabbit raccoon race racket radar radical radio radish raft rail rain
raise raisin rake rally ramp ranch range rank rapid rapidly rare rarely rascal rash raspberry rate rather
rating ratio raven ravine raw reach reaction read reader reading ready real realistic reality realize really
reason rebel recall receive receiver recent recently recess recipe recognition recognize recommend
recommendation record recover recovery recruit recycle red reduce reduction reed refer reference refill
reflect reform refugee refuse regard regarding regardless regime region regional register regular regularly
regulate regulation reindeer reinforce reject relate relationship relative relatively relax release relevant
relief relish rely remain remaining remarkable remedy remember remind remote remove rental repeat repeatedly
replace reply report reporter represent representation representative reputation request require requirement
rescue research resemble reservation resident resist resistance resolution resolve resort resource respect
respond respondent response responsibility responsible rest restaurant restore restriction result retail
retain retire retirement return reveal revenue review revolution rhyme rhythm ribbon rice rich riddle ride
right ring ripple rise rising risk risotto rival river road roast robe robin rock rocket rodeo role romantic
roof rooftop room rooster root rope rose rough roughly round route routine rowboat rubber ruby rug rule ruler
rumble run runway rural rush rustic sad saddle safari safe safety sail sailor sake salad salary sale salmon
salsa salt same sample sand sandal sandwich sardine satchel satellite satisfaction satisfy sauce saucer sauna
sausage save saving say scale scandal scared scarf scenario scene schedule scheme scholar scholarship school
science scientific scientist scissors scoop scooter scope score scramble screen scribble script sculpture sea
seagull seal search seashell seashore season seat seaweed second secret secretary section sector secure
security see seed seek seem seemingly segment select selection self sell send senior sense sensitive sentence
separate sequence sequin series serious servant serve service sesame session set settle settlement seven
several severe shade shadow shake shampoo shape share shareholder shark sharp shawl she shed sheep sheet shelf
shell shelter shepherd sherbet shift shine ship shirt shock shoe shop shopping shore short shortly should
shoulder shout shovel show shower shrimp shrub shrug shuffle shut sick side sidewalk sight sign signal
significant silence silent silk silly silver similar similarly simple simply since sing single sink sir siren
sister sit site situation six size skate skeleton sketch ski skill skillet skin skirt skull sky sled sleep
slice slide slight slightly slip slipper slope slow slowly slumber small smart smell smile smoke smooth
smoothie snack snail snap sneeze snorkel snow snowflake so soap soccer social society sofa soft software soggy
soil solar sole solid solution solve some somebody somehow someone something sometimes somewhat somewhere son
song sonnet soon sophisticated sorbet sorry sort soul sound soup source south southern space spaghetti spare
spark sparkle sparrow spatula speak speaker special species specific speck spectrum speech speed spell spend
spice spider spin spinach spirit spiritual splash split spokesman sponge spoon sport spot spread spring sprout
squad square squash squeeze squirrel stability stable stadium staff stage stair stake stance stand standard
stapler star stare starfish start starting state statement station statistics status stay steady steal steam
steel stem stencil step stew stick sticker still stir stitch stock stomach stone stool stop storage store
storm story stove straight strainer strange stranger strategic strategy straw strawberry stream street
strength strengthen stress stretch strike string strip stripe stroke stroll strong structure struggle student
studio study stuff stupid sturdy style subject submarine submit subsequent substance substantial suburb
succeed success successful successfully such sudden suddenly suffer sufficient sugar suggest suit suitable
suitcase sum summer summit sun sundae sunflower sunrise sunset super supper supply support supporter suppose
supposed supreme sure surely surface surfboard surgery surprise surprised surprising surprisingly surround
survey survival survive survivor suspect sustain swamp swan swear sweater sweep sweet swim swing swirl switch
symbol symptom syrup system table tablespoon tablet tactic tadpole tail take tale talent talk talon tambourine
tangerine tango tank tap tape tapestry target task tassel taste tax taxi taxpayer tea teach teacher teacup
team teapot tear teaspoon technical technique technology teddy teen teenager telephone telescope television
tell temperature temple temporary ten tend tennis tension tent term terrible terrific territory test testify
testimony testing text than thank thanks that the theater their them themselves then theory therapy there
thermos these they thick thimble thin thing think thinking third thirty this thistle thoroughly those though
thought thousand thread threat threaten three threshold thrill throat throne through throughout throw thumb
thunder thus ticket tickle tide tidy tie tiger tight timber time timid tiny tip tire tired tissue title to
toad toast tobacco today toddler toe toffee together tomato tomorrow tone tongue tonight too tool toolbox
tooth toothbrush top topic topping torch tornado tortoise toss total tote tough tour tourist tournament toward
towel tower town toy trace track tractor trade trading tradition traditional traffic trail train training
trampoline transfer transform transformation transition translate transportation trap trash travel treadmill
treasure treat treatment treaty tree trellis trend trial tribe trick tricycle trip trivia trolley trophy
trouble trout truck true truffle truly trumpet trust truth try tuba tube tugboat tulip tuna tundra tunnel
turkey turn turnip turtle tuxedo twelve twenty twice twig twin twinkle two type typhoon typical typically ugly
ukulele ultimate ultimately umbrella unable uncle under undergo understand understanding unfortunately unicorn
uniform union unique unit universal universe university unknown unless unlike unlikely until unusual up upon
upper urban urge us use used useful user usual usually utility vacation valley valuable value valve vanilla
variable variation variety various vase vast vegetable vehicle velvet venture version versus very vessel vest
veteran via video view village vine vinegar violate violin virtual virtually virtue visible vision visit
visitor visor visual vital voice volcano vulnerable waffle wage wagon wait waiter wake walk wall walnut walrus
wand want wardrobe warehouse warm warn warning wash washer wasp waste watch water watermelon wave way we
wealth wealthy wear weasel weather wedding week weekday weekend weekly weight welcome welfare well west
western wet whale what whatever wheat wheel when whenever where whereas whether which while whip whisk whisper
whistle white who whole whom whose why wicker wide wife wild wilderness will willing willow win wind windmill
window wing winner winter wipe wire wisdom wise wish with within without witness wizard wobble wolf woman
wonder wonderful wood wooden woodpecker wool word work workbench worker working workshop world worried worry
worth would wound wrap wreath wrench write writer writing wrong yacht yard yarn yeah year yellow yes yesterday
yet yield yodel yogurt yolk you young your yourself youth zebra zipper zone zoo
`;

/** The words, each once. */
export const COMMON_WORDS: readonly string[] = TEXT.split(/\s+/).filter((w) => w !== '');
