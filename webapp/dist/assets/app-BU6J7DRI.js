var pe,S,Ye,Qt,K,Qe,Ve,Ze,xe,ae,ne,Je,Te,Ce,Se,Wt,ce={},ue=[],Gt=/acit|ex(?:s|g|n|p|$)|rph|grid|ows|mnc|ntw|ine[ch]|zoo|^ord|itera/i,fe=Array.isArray;function G(t,e){for(var n in e)t[n]=e[n];return t}function Ee(t){t&&t.parentNode&&t.parentNode.removeChild(t)}function Re(t,e,n){var s,r,o,i={};for(o in e)o=="key"?s=e[o]:o=="ref"?r=e[o]:i[o]=e[o];if(arguments.length>2&&(i.children=arguments.length>3?pe.call(arguments,2):n),typeof t=="function"&&t.defaultProps!=null)for(o in t.defaultProps)i[o]===void 0&&(i[o]=t.defaultProps[o]);return ie(t,i,s,r,null)}function ie(t,e,n,s,r){var o={type:t,props:e,key:n,ref:s,__k:null,__:null,__b:0,__e:null,__c:null,constructor:void 0,__v:r??++Ye,__i:-1,__u:0};return r==null&&S.vnode!=null&&S.vnode(o),o}function he(t){return t.children}function le(t,e){this.props=t,this.context=e}function X(t,e){if(e==null)return t.__?X(t.__,t.__i+1):null;for(var n;e<t.__k.length;e++)if((n=t.__k[e])!=null&&n.__e!=null)return n.__e;return typeof t.type=="function"?X(t):null}function Kt(t){if(t.__P&&t.__d){var e=t.__v,n=e.__e,s=[],r=[],o=G({},e);o.__v=e.__v+1,S.vnode&&S.vnode(o),Pe(t.__P,o,e,t.__n,t.__P.namespaceURI,32&e.__u?[n]:null,s,n??X(e),!!(32&e.__u),r),o.__v=e.__v,o.__.__k[o.__i]=o,st(s,o,r),e.__e=e.__=null,o.__e!=n&&Xe(o)}}function Xe(t){if((t=t.__)!=null&&t.__c!=null)return t.__e=t.__c.base=null,t.__k.some(function(e){if(e!=null&&e.__e!=null)return t.__e=t.__c.base=e.__e}),Xe(t)}function We(t){(!t.__d&&(t.__d=!0)&&K.push(t)&&!de.__r++||Qe!=S.debounceRendering)&&((Qe=S.debounceRendering)||Ve)(de)}function de(){try{for(var t,e=1;K.length;)K.length>e&&K.sort(Ze),t=K.shift(),e=K.length,Kt(t)}finally{K.length=de.__r=0}}function et(t,e,n,s,r,o,i,l,d,c,f){var p,a,h,g,b,v,m=s&&s.__k||ue,$=e.length;for(d=Yt(n,e,m,d,$),p=0;p<$;p++)(h=n.__k[p])!=null&&(a=h.__i!=-1&&m[h.__i]||ce,h.__i=p,v=Pe(t,h,a,r,o,i,l,d,c,f),g=h.__e,h.ref&&a.ref!=h.ref&&(a.ref&&De(a.ref,null,h),f.push(h.ref,h.__c||g,h)),b==null&&g!=null&&(b=g),4&h.__u?(d=tt(h,d,t),a.__e&&(a.__e=null)):typeof h.type=="function"&&v!==void 0?d=v:g&&(d=g.nextSibling),h.__u&=-7);return n.__e=b,d}function Yt(t,e,n,s,r){var o,i,l,d,c,f=n.length,p=f,a=0;for(t.__k=new Array(r),o=0;o<r;o++)(i=e[o])!=null&&typeof i!="boolean"&&typeof i!="function"?(typeof i=="string"||typeof i=="number"||typeof i=="bigint"||i.constructor==String?i=t.__k[o]=ie(null,i,null,null,null):fe(i)?i=t.__k[o]=ie(he,{children:i},null,null,null):i.constructor===void 0&&i.__b>0?i=t.__k[o]=ie(i.type,i.props,i.key,i.ref?i.ref:null,i.__v):t.__k[o]=i,d=o+a,i.__=t,i.__b=t.__b+1,l=null,(c=i.__i=Vt(i,n,d,p))!=-1&&(p--,(l=n[c])&&(l.__u|=2)),l==null||l.__v==null?(c==-1&&(r>f?a--:r<f&&a++),typeof i.type!="function"&&(i.__u|=4)):c!=d&&(c==d-1?a--:c==d+1?a++:(c>d?a--:a++,i.__u|=4))):t.__k[o]=null;if(p)for(o=0;o<f;o++)(l=n[o])!=null&&(2&l.__u)==0&&(l.__e==s&&(s=X(l)),rt(l,l));return s}function tt(t,e,n){var s,r;if(typeof t.type=="function"){for(s=t.__k,r=0;s&&r<s.length;r++)s[r]&&(s[r].__=t,e=tt(s[r],e,n));return e}t.__e!=e&&(e&&t.type&&!e.parentNode&&(e=X(t)),e=n.insertBefore(t.__e,e||null));do e=e&&e.nextSibling;while(e!=null&&e.nodeType==8);return e}function Vt(t,e,n,s){var r,o,i,l=t.key,d=t.type,c=e[n],f=c!=null&&(2&c.__u)==0;if(c===null&&l==null||f&&l==c.key&&d==c.type)return n;if(s>(f?1:0)){for(r=n-1,o=n+1;r>=0||o<e.length;)if((c=e[i=r>=0?r--:o++])!=null&&(2&c.__u)==0&&l==c.key&&d==c.type)return i}return-1}function Ge(t,e,n){e[0]=="-"?t.setProperty(e,n??""):t[e]=n==null?"":typeof n!="number"||Gt.test(e)?n:n+"px"}function re(t,e,n,s,r){var o,i;e:if(e=="style")if(typeof n=="string")t.style.cssText=n;else{if(typeof s=="string"&&(t.style.cssText=s=""),s)for(e in s)n&&e in n||Ge(t.style,e,"");if(n)for(e in n)s&&n[e]==s[e]||Ge(t.style,e,n[e])}else if(e[0]=="o"&&e[1]=="n")o=e!=(e=e.replace(Je,"$1")),i=e.toLowerCase(),e=i in t||e=="onFocusOut"||e=="onFocusIn"?i.slice(2):e.slice(2),t.l||(t.l={}),t.l[e+o]=n,n?s?n[ne]=s[ne]:(n[ne]=Te,t.addEventListener(e,o?Se:Ce,o)):t.removeEventListener(e,o?Se:Ce,o);else{if(r=="http://www.w3.org/2000/svg")e=e.replace(/xlink(H|:h)/,"h").replace(/sName$/,"s");else if(e!="width"&&e!="height"&&e!="href"&&e!="list"&&e!="form"&&e!="tabIndex"&&e!="download"&&e!="rowSpan"&&e!="colSpan"&&e!="role"&&e!="popover"&&e in t)try{t[e]=n??"";break e}catch{}typeof n=="function"||(n==null||n===!1&&e[4]!="-"?t.removeAttribute(e):t.setAttribute(e,e=="popover"&&n==1?"":n))}}function Ke(t){return function(e){if(this.l){var n=this.l[e.type+t];if(e[ae]==null)e[ae]=Te++;else if(e[ae]<n[ne])return;return n(S.event?S.event(e):e)}}}function Pe(t,e,n,s,r,o,i,l,d,c){var f,p,a,h,g,b,v,m,$,w,k,C,E,x,R,q,N=e.type;if(e.constructor!==void 0)return null;128&n.__u&&(d=!!(32&n.__u),o=[l=e.__e=n.__e]),(f=S.__b)&&f(e);e:if(typeof N=="function"){p=i.length;try{if($=e.props,w=N.prototype&&N.prototype.render,k=(f=N.contextType)&&s[f.__c],C=f?k?k.props.value:f.__:s,n.__c?m=(a=e.__c=n.__c).__=a.__E:(w?e.__c=a=new N($,C):(e.__c=a=new le($,C),a.constructor=N,a.render=Jt),k&&k.sub(a),a.state||(a.state={}),a.__n=s,h=a.__d=!0,a.__h=[],a._sb=[]),w&&a.__s==null&&(a.__s=a.state),w&&N.getDerivedStateFromProps!=null&&(a.__s==a.state&&(a.__s=G({},a.__s)),G(a.__s,N.getDerivedStateFromProps($,a.__s))),g=a.props,b=a.state,a.__v=e,h)w&&N.getDerivedStateFromProps==null&&a.componentWillMount!=null&&a.componentWillMount(),w&&a.componentDidMount!=null&&a.__h.push(a.componentDidMount);else{if(w&&N.getDerivedStateFromProps==null&&$!==g&&a.componentWillReceiveProps!=null&&a.componentWillReceiveProps($,C),e.__v==n.__v||!a.__e&&a.shouldComponentUpdate!=null&&a.shouldComponentUpdate($,a.__s,C)===!1){e.__v!=n.__v&&(a.props=$,a.state=a.__s,a.__d=!1),e.__e=n.__e,e.__k=n.__k,e.__k.some(function(j){j&&(j.__=e)}),ue.push.apply(a.__h,a._sb),a._sb=[],a.__h.length&&i.push(a),l=X(n);break e}a.componentWillUpdate!=null&&a.componentWillUpdate($,a.__s,C),w&&a.componentDidUpdate!=null&&a.__h.push(function(){a.componentDidUpdate(g,b,v)})}if(a.context=C,a.props=$,a.__P=t,a.__e=!1,E=S.__r,x=0,w)a.state=a.__s,a.__d=!1,E&&E(e),f=a.render(a.props,a.state,a.context),ue.push.apply(a.__h,a._sb),a._sb=[];else do a.__d=!1,E&&E(e),f=a.render(a.props,a.state,a.context),a.state=a.__s;while(a.__d&&++x<25);a.state=a.__s,a.getChildContext!=null&&(s=G(G({},s),a.getChildContext())),w&&!h&&a.getSnapshotBeforeUpdate!=null&&(v=a.getSnapshotBeforeUpdate(g,b)),R=f!=null&&f.type===he&&f.key==null?ot(f.props.children):f,l=et(t,fe(R)?R:[R],e,n,s,r,o,i,l,d,c),a.base=e.__e,e.__u&=-161,a.__h.length&&i.push(a),m&&(a.__E=a.__=null)}catch(j){if(i.length=p,e.__v=null,d||o!=null){if(j.then){for(e.__u|=d?160:128;l&&l.nodeType==8&&l.nextSibling;)l=l.nextSibling;o!=null&&(o[o.indexOf(l)]=null),e.__e=l}else if(o!=null)for(q=o.length;q--;)Ee(o[q])}else e.__e=n.__e;e.__k==null&&(e.__k=n.__k||[]),j.then||nt(e),S.__e(j,e,n)}}else o==null&&e.__v==n.__v?(e.__k=n.__k,e.__e=n.__e):l=e.__e=Zt(n.__e,e,n,s,r,o,i,d,c);return(f=S.diffed)&&f(e),128&e.__u?void 0:l}function nt(t){t&&(t.__c&&(t.__c.__e=!0),t.__k&&t.__k.some(nt))}function st(t,e,n){for(var s=0;s<n.length;s++)De(n[s],n[++s],n[++s]);S.__c&&S.__c(e,t),t.some(function(r){try{t=r.__h,r.__h=[],t.some(function(o){o.call(r)})}catch(o){S.__e(o,r.__v)}})}function ot(t){return typeof t!="object"||t==null||t.__b>0?t:fe(t)?t.map(ot):t.constructor!==void 0?null:G({},t)}function Zt(t,e,n,s,r,o,i,l,d){var c,f,p,a,h,g,b,v=n.props||ce,m=e.props,$=e.type;if($=="svg"?r="http://www.w3.org/2000/svg":$=="math"?r="http://www.w3.org/1998/Math/MathML":r||(r="http://www.w3.org/1999/xhtml"),o!=null){for(c=0;c<o.length;c++)if((h=o[c])&&"setAttribute"in h==!!$&&($?h.localName==$:h.nodeType==3)){t=h,o[c]=null;break}}if(t==null){if($==null)return document.createTextNode(m);t=document.createElementNS(r,$,m.is&&m),l&&(S.__m&&S.__m(e,o),l=!1),o=null}if($==null)v===m||l&&t.data==m||(t.data=m);else{if(o=$=="textarea"&&m.defaultValue!=null?null:o&&pe.call(t.childNodes),!l&&o!=null)for(v={},c=0;c<t.attributes.length;c++)v[(h=t.attributes[c]).name]=h.value;for(c in v)h=v[c],c=="dangerouslySetInnerHTML"?p=h:c=="children"||c in m||c=="value"&&"defaultValue"in m||c=="checked"&&"defaultChecked"in m||re(t,c,null,h,r);for(c in m)h=m[c],c=="children"?a=h:c=="dangerouslySetInnerHTML"?f=h:c=="value"?g=h:c=="checked"?b=h:l&&typeof h!="function"||v[c]===h||re(t,c,h,v[c],r);if(f)l||p&&(f.__html==p.__html||f.__html==t.innerHTML)||(t.innerHTML=f.__html),e.__k=[];else if(p&&(t.innerHTML=""),et(e.type=="template"?t.content:t,fe(a)?a:[a],e,n,s,$=="foreignObject"?"http://www.w3.org/1999/xhtml":r,o,i,o?o[0]:n.__k&&X(n,0),l,d),o!=null)for(c=o.length;c--;)Ee(o[c]);l&&$!="textarea"||(c="value",$=="progress"&&g==null?t.removeAttribute("value"):g!=null&&(g!==t[c]||$=="progress"&&!g||$=="option"&&g!=v[c])&&re(t,c,g,v[c],r),c="checked",b!=null&&b!=t[c]&&re(t,c,b,v[c],r))}return t}function De(t,e,n){try{if(typeof t=="function"){var s=typeof t.__u=="function";s&&t.__u(),s&&e==null||(t.__u=t(e))}else t.current=e}catch(r){S.__e(r,n)}}function rt(t,e,n){var s,r;if(S.unmount&&S.unmount(t),(s=t.ref)&&(s.current&&s.current!=t.__e||De(s,null,e)),(s=t.__c)!=null){if(s.componentWillUnmount)try{s.componentWillUnmount()}catch(o){S.__e(o,e)}s.base=s.__P=s.__n=null}if(s=t.__k)for(r=0;r<s.length;r++)s[r]&&rt(s[r],e,n||typeof t.type!="function");n||Ee(t.__e),t.__c=t.__=t.__e=void 0}function Jt(t,e,n){return this.constructor(t,n)}function at(t,e,n){var s,r,o,i;e==document&&(e=document.documentElement),S.__&&S.__(t,e),r=(s=typeof n=="function")?null:n&&n.__k||e.__k,o=[],i=[],Pe(e,t=(!s&&n||e).__k=Re(he,null,[t]),r||ce,ce,e.namespaceURI,!s&&n?[n]:r?null:e.firstChild?pe.call(e.childNodes):null,o,!s&&n?n:r?r.__e:e.firstChild,s,i),st(o,t,i),t.props.children=null}pe=ue.slice,S={__e:function(t,e,n,s){for(var r,o,i;e=e.__;)if((r=e.__c)&&!r.__)try{if((o=r.constructor)&&o.getDerivedStateFromError!=null&&(r.setState(o.getDerivedStateFromError(t)),i=r.__d),r.componentDidCatch!=null&&(r.componentDidCatch(t,s||{}),i=r.__d),i)return r.__E=r}catch(l){t=l}throw t}},Ye=0,Qt=function(t){return t!=null&&t.constructor===void 0},le.prototype.setState=function(t,e){var n;n=this.__s!=null&&this.__s!=this.state?this.__s:this.__s=G({},this.state),typeof t=="function"&&(t=t(G({},n),this.props)),t&&G(n,t),t!=null&&this.__v&&(e&&this._sb.push(e),We(this))},le.prototype.forceUpdate=function(t){this.__v&&(this.__e=!0,t&&this.__h.push(t),We(this))},le.prototype.render=he,K=[],Ve=typeof Promise=="function"?Promise.prototype.then.bind(Promise.resolve()):setTimeout,Ze=function(t,e){return t.__v.__b-e.__v.__b},de.__r=0,xe=Math.random().toString(8),ae="__d"+xe,ne="__a"+xe,Je=/(PointerCapture)$|Capture$/i,Te=0,Ce=Ke(!1),Se=Ke(!0),Wt=0;var ee,A,Ie,it,_e=0,mt=[],U=S,lt=U.__b,ct=U.__r,ut=U.diffed,dt=U.__c,pt=U.unmount,ft=U.__;function $e(t,e){U.__h&&U.__h(A,t,_e||e),_e=0;var n=A.__H||(A.__H={__:[],__h:[]});return t>=n.__.length&&n.__.push({}),n.__[t]}function _(t){return _e=1,Xt($t,t)}function Xt(t,e,n){var s=$e(ee++,2);if(s.t=t,!s.__c&&(s.__=[n?n(e):$t(void 0,e),function(l){var d=s.__N?s.__N[0]:s.__[0],c=s.t(d,l);d!==c&&(s.__N=[c,s.__[1]],s.__c.setState({}))}],s.__c=A,!A.__f)){var r=function(l,d,c){if(!s.__c.__H)return!0;var f=!1,p=s.__c.props!==l;if(s.__c.__H.__.some(function(h){if(h.__N){f=!0;var g=h.__[0];h.__=h.__N,h.__N=void 0,g!==h.__[0]&&(p=!0)}}),o){var a=o.call(this,l,d,c);return f?a||p:a}return!f||p};A.__f=!0;var o=A.shouldComponentUpdate,i=A.componentWillUpdate;A.componentWillUpdate=function(l,d,c){if(this.__e){var f=o;o=void 0,r(l,d,c),o=f}i&&i.call(this,l,d,c)},A.shouldComponentUpdate=r}return s.__N||s.__}function T(t,e){var n=$e(ee++,3);!U.__s&&Ue(n.__H,e)&&(n.__=t,n.u=e,A.__H.__h.push(n))}function _t(t,e){var n=$e(ee++,4);!U.__s&&Ue(n.__H,e)&&(n.__=t,n.u=e,A.__h.push(n))}function I(t){return _e=5,Ae(function(){return{current:t}},[])}function Ae(t,e){var n=$e(ee++,7);return Ue(n.__H,e)&&(n.__=t(),n.__H=e,n.__h=t),n.__}function en(){for(var t;t=mt.shift();){var e=t.__H;if(t.__P&&e)try{e.__h.some(me),e.__h.some(qe),e.__h=[]}catch(n){e.__h=[],U.__e(n,t.__v)}}}U.__b=function(t){A=null,lt&&lt(t)},U.__=function(t,e){t&&e.__k&&e.__k.__m&&(t.__m=e.__k.__m),ft&&ft(t,e)},U.__r=function(t){ct&&ct(t),ee=0;var e=(A=t.__c).__H;e&&(Ie===A?(e.__h=[],A.__h=[],e.__.some(function(n){n.__N&&(n.__=n.__N),n.u=n.__N=void 0})):(e.__h.some(me),e.__h.some(qe),e.__h=[],ee=0)),Ie=A},U.diffed=function(t){ut&&ut(t);var e=t.__c;e&&e.__H&&(e.__H.__h.length&&(mt.push(e)!==1&&it===U.requestAnimationFrame||((it=U.requestAnimationFrame)||tn)(en)),e.__H.__.some(function(n){n.u&&(n.__H=n.u,n.u=void 0)})),Ie=A=null},U.__c=function(t,e){e.some(function(n){try{n.__h.some(me),n.__h=n.__h.filter(function(s){return!s.__||qe(s)})}catch(s){e.some(function(r){r.__h&&(r.__h=[])}),e=[],U.__e(s,n.__v)}}),dt&&dt(t,e)},U.unmount=function(t){pt&&pt(t);var e,n=t.__c;n&&n.__H&&(n.__H.__.some(function(s){try{me(s)}catch(r){e=r}}),n.__H=void 0,e&&U.__e(e,n.__v))};var ht=typeof requestAnimationFrame=="function";function tn(t){var e,n=function(){clearTimeout(s),ht&&cancelAnimationFrame(e),setTimeout(t)},s=setTimeout(n,35);ht&&(e=requestAnimationFrame(n))}function me(t){var e=A,n=t.__c;typeof n=="function"&&(t.__c=void 0,n()),A=e}function qe(t){var e=A;t.__c=t.__(),A=e}function Ue(t,e){return!t||t.length!==e.length||e.some(function(n,s){return n!==t[s]})}function $t(t,e){return typeof e=="function"?e(t):e}var yt=function(t,e,n,s){var r;e[0]=0;for(var o=1;o<e.length;o++){var i=e[o++],l=e[o]?(e[0]|=i?1:2,n[e[o++]]):e[++o];i===3?s[0]=l:i===4?s[1]=Object.assign(s[1]||{},l):i===5?(s[1]=s[1]||{})[e[++o]]=l:i===6?s[1][e[++o]]+=l+"":i?(r=t.apply(l,yt(t,l,n,["",null])),s.push(r),l[0]?e[0]|=2:(e[o-2]=0,e[o]=r)):s.push(l)}return s},gt=new Map;function vt(t){var e=gt.get(this);return e||(e=new Map,gt.set(this,e)),(e=yt(this,e.get(t)||(e.set(t,e=(function(n){for(var s,r,o=1,i="",l="",d=[0],c=function(a){o===1&&(a||(i=i.replace(/^\s*\n\s*|\s*\n\s*$/g,"")))?d.push(0,a,i):o===3&&(a||i)?(d.push(3,a,i),o=2):o===2&&i==="..."&&a?d.push(4,a,0):o===2&&i&&!a?d.push(5,0,!0,i):o>=5&&((i||!a&&o===5)&&(d.push(o,0,i,r),o=6),a&&(d.push(o,a,0,r),o=6)),i=""},f=0;f<n.length;f++){f&&(o===1&&c(),c(f));for(var p=0;p<n[f].length;p++)s=n[f][p],o===1?s==="<"?(c(),d=[d],o=3):i+=s:o===4?i==="--"&&s===">"?(o=1,i=""):i=s+i[0]:l?s===l?l="":i+=s:s==='"'||s==="'"?l=s:s===">"?(c(),o=1):o&&(s==="="?(o=5,r=i,i=""):s==="/"&&(o<5||n[f][p+1]===">")?(c(),o===3&&(d=d[0]),o=d,(d=d[0]).push(2,0,o),o=0):s===" "||s==="	"||s===`
`||s==="\r"?(c(),o=2):i+=s),o===3&&i==="!--"&&(o=4,d=d[0])}return c(),d})(t)),e),arguments,[])).length>1?e:e[0]}var u=vt.bind(Re);function L(t,{replace:e=!1}={}){e?history.replaceState(null,"",t):history.pushState(null,"",t),dispatchEvent(new PopStateEvent("popstate"))}function y({href:t,children:e,...n}){return u`<a href=${t} onClick=${r=>{r.defaultPrevented||r.button!==0||r.metaKey||r.ctrlKey||r.shiftKey||r.altKey||(r.preventDefault(),L(t))}} ...${n}>${e}</a>`}function z({errors:t,title:e="There is a problem"}){let n=I(null);if(T(()=>{t.length&&n.current&&n.current.focus()},[t]),!t.length)return null;let s=r=>o=>{let i=document.getElementById(r);i&&(o.preventDefault(),i.focus())};return u`<div class="error-summary" role="alert" tabindex="-1" ref=${n} aria-labelledby="error-summary-title">
    <h2 id="error-summary-title">${e}</h2>
    <ul>
      ${t.map(r=>u`<li>${r.field?u`<a href=${"#"+r.field} onClick=${s(r.field)}>${r.message}</a>`:r.message}</li>`)}
    </ul>
  </div>`}function M({id:t,label:e,hint:n,error:s,as:r="input",value:o,onInput:i,...l}){let d=[n?t+"-hint":"",s?t+"-error":""].filter(Boolean).join(" ")||void 0,c=r==="textarea"?u`<textarea id=${t} name=${t} value=${o} onInput=${f=>i(f.currentTarget.value)}
          aria-invalid=${s?"true":void 0} aria-describedby=${d} ...${l}></textarea>`:u`<input id=${t} name=${t} value=${o} onInput=${f=>i(f.currentTarget.value)}
          aria-invalid=${s?"true":void 0} aria-describedby=${d} ...${l} />`;return u`<div class=${"field"+(s?" field-error":"")}>
    <label for=${t}>${e}</label>
    ${n&&u`<p class="hint" id=${t+"-hint"}>${n}</p>`}
    ${s&&u`<p class="error-message" id=${t+"-error"}><span class="visually-hidden">Error: </span>${s}</p>`}
    ${c}
  </div>`}function ge(t,{text:e,key:n,setPending:s,setInput:r,setError:o,over:i}){t.status===409?(s(null),i()):t.status>=400&&t.status<500&&t.status!==429?(s(null),r(e),o(t.message)):s({text:e,key:n,failed:t.message})}function Y(t,e={}){let n={};for(let[s,r]of Object.entries(t&&t.fields||{})){let o=s.replace(/\[\d+\]/g,"").replace(/^questions\.?/,""),i=e[s]||e[o]||s;n[i]=r.charAt(0).toUpperCase()+r.slice(1)+(/[.!?]$/.test(r)?"":".")}return n}function se({value:t,max:e=1,label:n,text:s}){let r=e>0?Math.round(100*t/e):0;return u`<div class="progress">
    <div class="progress-text">${s}</div>
    <div class="bar" role="progressbar" aria-label=${n} aria-valuemin="0" aria-valuemax="100" aria-valuenow=${r}
      aria-valuetext=${s}>
      <span class="bar-fill" style=${{width:r+"%"}}></span>
    </div>
  </div>`}function bt(t){if(!t)return"";let e=Math.max(0,(Date.now()-Date.parse(t))/1e3);if(e<60)return"just now";let n=Math.floor(e/60);if(n<60)return n===1?"1 minute ago":`${n} minutes ago`;let s=Math.floor(n/60);if(s<24)return s===1?"1 hour ago":`${s} hours ago`;let r=Math.floor(s/24);return r<30?r===1?"yesterday":`${r} days ago`:new Date(t).toLocaleDateString()}function Le(t){if(!t)return"";let e=(Date.parse(t)-Date.now())/1e3;if(e<60)return"in a moment";let n=Math.round(e/60);if(n<60)return n===1?"in 1 minute":`in ${n} minutes`;let s=Math.round(n/60);if(s<24)return s===1?"in 1 hour":`in ${s} hours`;let r=Math.round(s/24);return r<30?r===1?"tomorrow":`in ${r} days`:"on "+new Date(t).toLocaleDateString()}function ye(t){return t.nextDueAt?`Nothing due \u2014 next review ${Le(t.nextDueAt)} (${V(t.nextDueAt)}).`:"Nothing due \u2014 and no new questions left for today."}function V(t){return t?new Date(t).toLocaleString(void 0,{dateStyle:"medium",timeStyle:"short"}):""}function P(t,e,n=e+"s"){return`${t} ${t===1?e:n}`}function B({label:t="Loading\u2026",lines:e=3}){return u`<div class="loading" role="status" aria-live="polite">
    <span class="visually-hidden">${t}</span>
    ${Array.from({length:e},()=>u`<div class="skeleton" aria-hidden="true"></div>`)}
  </div>`}function O(t){T(()=>{document.title=t?`${t} \u2013 Recall`:"Recall"},[t])}function H(t,e){T(()=>{t.current&&t.current.focus({preventScroll:!1})},[e])}var Me="recall.token",te=class extends Error{constructor(e,n,s,r,o){super(s),this.status=e,this.code=n,this.fields=r||{},this.retryAfter=o||0}};function wt(){try{return sessionStorage.getItem(Me)||""}catch{return""}}function Ne(t){try{t?sessionStorage.setItem(Me,t):sessionStorage.removeItem(Me)}catch{}}function Z(){let t=new Uint8Array(16);return crypto.getRandomValues(t),Array.from(t,e=>e.toString(16).padStart(2,"0")).join("")}var kt=t=>new Promise(e=>setTimeout(e,t)),ve=[500,1e3,2e3],be=class{constructor({onSignedOut:e=()=>{},onConnection:n=()=>{}}={}){this.onSignedOut=e,this.onConnection=n}signedIn(){return wt()!==""}async request(e,n,{body:s,idempotencyKey:r,raw:o,accept:i,stream:l}={}){let d=e==="GET"||e==="PUT"||e==="DELETE"||!!r,c={Accept:i||"application/json"},f=wt();f&&(c.Authorization="Bearer "+f),s!==void 0&&(c["Content-Type"]=o||"application/json"),r&&(c["Idempotency-Key"]=r);for(let p=0;;p++){let a;try{a=await fetch(n,{method:e,headers:c,body:s===void 0?void 0:o?s:JSON.stringify(s),cache:"no-store",credentials:"omit"})}catch{if(d&&p<ve.length){this.onConnection("retrying"),await kt(ve[p]);continue}throw this.onConnection("ok"),new te(0,"network","Recall cannot be reached. Check your connection and try again.")}if(a.status===503&&d&&p<ve.length){this.onConnection("retrying"),await kt(ve[p]);continue}return p>0&&this.onConnection("ok"),l&&a.ok&&a.status!==204?l(a):this.#e(a,f)}}async#e(e,n){if(e.status===204)return null;let s=null;try{s=await e.json()}catch{s=null}if(e.ok)return s;let r=s&&s.error||{},o=r.message||`Something went wrong (HTTP ${e.status}). Try again.`,i=0;e.status===401&&n?(Ne(""),o="You have been signed out. Sign in again to go on.",this.onSignedOut()):e.status===429?(i=parseInt(e.headers.get("Retry-After")||"1",10)||1,o=`Too many requests. Try again in ${i} s.`):e.status>=500&&(o=r.message||"Recall is having trouble. Try again in a moment.");let l=new te(e.status,r.code||"http_"+e.status,o,r.fields,i);throw l.lines=r.lines||[],l.nextDueAt=r.next_due_at||null,l}async signIn(e,n){let s=await this.request("POST","/v1/tokens",{body:{username:e,password:n}});return Ne(s.token),s}signUp(e,n){return this.request("POST","/v1/users",{body:{username:e,password:n}})}async signOut(){try{await this.request("DELETE","/v1/tokens/current")}finally{Ne("")}}me(){return this.request("GET","/v1/me")}setTimeZone(e){return this.request("PATCH","/v1/me",{body:{time_zone:e}})}ops(){return this.request("GET","/v1/ops")}topics(e="dashboard"){return this.request("GET","/v1/topics?view="+e)}topic(e){return this.request("GET",`/v1/topics/${encodeURIComponent(e)}?view=full`)}createTopic(e){return this.request("POST","/v1/topics",{body:e})}updateTopic(e,n){return this.request("PATCH",`/v1/topics/${encodeURIComponent(e)}`,{body:n})}deleteTopic(e){return this.request("DELETE",`/v1/topics/${encodeURIComponent(e)}`)}questions(e){return this.request("GET",`/v1/topics/${encodeURIComponent(e)}/questions`)}question(e,n){return this.request("GET",`/v1/topics/${encodeURIComponent(e)}/questions/${encodeURIComponent(n)}`)}addQuestions(e,n){return this.request("POST",`/v1/topics/${encodeURIComponent(e)}/questions`,{body:{questions:n}})}updateQuestion(e,n,s){return this.request("PATCH",`/v1/topics/${encodeURIComponent(e)}/questions/${encodeURIComponent(n)}`,{body:s})}deleteQuestion(e,n){return this.request("DELETE",`/v1/topics/${encodeURIComponent(e)}/questions/${encodeURIComponent(n)}`)}importCards(e,n,s){return this.request("POST",`/v1/topics/${encodeURIComponent(e)}/questions/import`,{body:n,raw:s})}exportCards(e,n){return this.request("GET",`/v1/topics/${encodeURIComponent(e)}/questions/export?format=${n}`,{accept:n==="csv"?"text/csv":"text/tab-separated-values",stream:async s=>{let r=/filename="([^"]*)"/.exec(s.headers.get("Content-Disposition")||"");return{blob:await s.blob(),filename:r?r[1]:"questions."+n}}})}generate(e,n,{dryRun:s=!1,boldAsCloze:r=!1}={}){return this.request("POST",`/v1/topics/${encodeURIComponent(e)}/questions/generate`,{body:{notes:n,dry_run:s,bold_as_cloze:r}})}startSession(e){return this.request("POST","/v1/sessions",{body:{topic_id:e}})}reviewDue(e){return this.request("POST","/v1/sessions",{body:{topic_id:e,mode:"due"}})}sessions(e=""){return this.request("GET","/v1/sessions"+(e?"?cursor="+encodeURIComponent(e):""))}session(e){return this.request("GET",`/v1/sessions/${encodeURIComponent(e)}`)}turn(e,n,s){return this.request("POST",`/v1/sessions/${encodeURIComponent(e)}/turns`,{body:{message:n},idempotencyKey:s})}turns(e){return this.request("GET",`/v1/sessions/${encodeURIComponent(e)}/turns`)}endSession(e,n){return this.request("POST",`/v1/sessions/${encodeURIComponent(e)}/end`,{idempotencyKey:n})}startConversation(e){return this.request("POST","/v1/conversations",{body:{topic_id:e}})}conversations(e=""){return this.request("GET","/v1/conversations"+(e?"?cursor="+encodeURIComponent(e):""))}conversation(e,n=""){return this.request("GET",`/v1/conversations/${encodeURIComponent(e)}`+(n?"?cursor="+encodeURIComponent(n):""))}deleteConversation(e){return this.request("DELETE",`/v1/conversations/${encodeURIComponent(e)}`)}endConversation(e){return this.request("POST",`/v1/conversations/${encodeURIComponent(e)}/end`,{idempotencyKey:Z()})}say(e,n,s,r){return this.request("POST",`/v1/conversations/${encodeURIComponent(e)}/messages`,{body:{content:n},idempotencyKey:s,accept:"text/event-stream",stream:o=>nn(o,r)})}};async function nn(t,e){if(!(t.headers.get("Content-Type")||"").startsWith("text/event-stream"))return t.json();let n=t.body.pipeThrough(new TextDecoderStream).getReader(),s="",r="";for(;;){let{value:o,done:i}=await n.read();o&&(s+=o.replace(/\r\n?/g,`
`));let l;for(;(l=s.indexOf(`

`))>=0;){let d=s.slice(0,l);s=s.slice(l+2);let c="message",f="";for(let a of d.split(`
`))a.startsWith("event:")?c=a.slice(6).trim():a.startsWith("data:")&&(f+=a.slice(5).replace(/^ /,""));if(!f)continue;let p=JSON.parse(f);if(c==="chunk")r+=p.text||"",e(r);else if(c==="reset")r="",e("");else{if(c==="message")return n.cancel().catch(()=>{}),p;if(c==="error"){let a=p.error||{},h={invalid:400,not_found:404,conflict:409,rate_limited:429,unavailable:503}[a.code]||500;throw new te(h,a.code||"internal",a.message||"The tutor could not answer. Try again.")}}}if(i)throw new te(0,"network","The reply was cut off. Send it again.")}}var sn=/^[a-z0-9_.-]{3,32}$/;function on(t,e,n){let s={};return t?n&&!sn.test(t.toLowerCase())&&(s.username="Use 3 to 32 letters, digits, dots, dashes or underscores."):s.username="Enter your username.",e?n&&(e.length<8||e.length>256)&&(s.password="Use a password of at least 8 characters."):s.password="Enter your password.",s}function Oe({api:t,signUp:e,notice:n}){let[s,r]=_(""),[o,i]=_(""),[l,d]=_({}),[c,f]=_(""),[p,a]=_(!1),h=I(null),g=e?"Create your account":"Sign in";O(g),H(h,e);let b=async m=>{if(m.preventDefault(),p)return;let $=on(s.trim(),o,e);if(d($),f(""),!Object.keys($).length){a(!0);try{e&&await t.signUp(s.trim(),o),await t.signIn(s.trim(),o),L("/",{replace:!0})}catch(w){let k=Y(w);Object.keys(k).length?d(k):w.code==="conflict"?d({username:"That username is taken. Choose another."}):w.status===401?d({password:"The username or password is wrong."}):f(w.message),a(!1)}}},v=Object.entries(l).map(([m,$])=>({field:m,message:$}));return c&&v.push({message:c}),u`<main id="main" class="narrow">
    <h1 tabindex="-1" ref=${h}>${g}</h1>
    ${n&&u`<p class="notice" role="status">${n}</p>`}
    <${z} errors=${v} />
    <form onSubmit=${b} novalidate>
      <${M} id="username" label="Username" value=${s} onInput=${r} error=${l.username}
        autocomplete="username" autocapitalize="none" spellcheck="false"
        hint=${e?"3 to 32 characters: letters, digits, dots, dashes or underscores.":void 0} />
      <${M} id="password" label="Password" type="password" value=${o} onInput=${i}
        error=${l.password} autocomplete=${e?"new-password":"current-password"}
        hint=${e?"At least 8 characters.":void 0} />
      <button type="submit" class="primary" aria-busy=${p?"true":void 0}>
        ${p?e?"Creating your account\u2026":"Signing in\u2026":e?"Create account":"Sign in"}
      </button>
    </form>
    <p class="switch">
      ${e?u`Already have an account? <${y} href="/signin">Sign in</${y}>`:u`New to Recall? <${y} href="/signup">Create an account</${y}>`}
    </p>
  </main>`}function xt({api:t}){let[e,n]=_(null),[s,r]=_(null),[o,i]=_(""),l=I(null);O("Your topics"),H(l,"dash");let d=async()=>{try{let c=await t.topics("dashboard");n(c.topics),i("")}catch(c){i(c.message)}};return T(()=>{d(),t.me().then(c=>r(c.streak||null),()=>r(null))},[]),u`<main id="main">
    <h1 tabindex="-1" ref=${l}>Your topics</h1>
    ${s&&u`<${rn} streak=${s} />`}
    <${ln} api=${t} onCreated=${c=>L("/topics/"+encodeURIComponent(c.id))} />
    ${o&&u`<p class="error-message" role="alert">${o} <button type="button" onClick=${d}>Try again</button></p>`}
    ${e===null&&!o&&u`<${B} label="Loading your topics…" />`}
    ${e!==null&&(e.length===0?u`<div class="empty">
          <h2>No topics yet</h2>
          <p>Create one above — give it a title like “Capitals of Europe” — then paste your questions into it.</p>
        </div>`:u`<ul class="topics" aria-label="Topics">
          ${e.map(c=>u`<${cn} key=${c.id} api=${t} topic=${c} onChange=${d} />`)}
        </ul>`)}
  </main>`}function rn({streak:t}){return u`<p class="streak">
    <span class="streak-now">Study streak: <strong>${P(t.current,"day")}</strong> in a row</span>
    <span class="meta">· longest ${P(t.longest,"day")}</span>
    ${t.current===0&&u`<span class="meta">· study today to start one</span>`}
  </p>`}function an(t){return t.new==null?"":[t.due_now?`${t.due_now} due`:"",`${t.new} new`,t.learning?`${t.learning} learning`:"",`${t.mastered} mastered`].filter(Boolean).join(" \xB7 ")}function ln({api:t,onCreated:e}){let[n,s]=_(""),[r,o]=_(""),[i,l]=_(!1);return u`<section class="card new-topic" aria-labelledby="new-topic-heading">
    <h2 id="new-topic-heading">New topic</h2>
    <${z} errors=${r?[{field:"new-topic-title",message:r}]:[]} />
    <form onSubmit=${async f=>{if(f.preventDefault(),!i){if(!n.trim()){o("Enter a title for the topic.");return}l(!0),o("");try{let p=await t.createTopic({title:n.trim()});s(""),e(p.topic)}catch(p){o(Y(p).title||p.message)}finally{l(!1)}}}} class="inline-form" novalidate>
      <${M} id="new-topic-title" label="Title" value=${n} onInput=${s} error=${r} maxlength="200"
        placeholder="e.g. Spanish verbs" />
      <button type="submit" class="primary" aria-busy=${i?"true":void 0}>${i?"Creating\u2026":"Create topic"}</button>
    </form>
  </section>`}function cn({api:t,topic:e,onChange:n}){let[s,r]=_("view"),[o,i]=_(e.title),[l,d]=_(""),[c,f]=_(!1),p=e.stats||{},a="/topics/"+encodeURIComponent(e.id),h="topic-"+e.id,g=async R=>{if(R.preventDefault(),!c){if(!o.trim()){d("Enter a title for the topic.");return}f(!0);try{await t.updateTopic(e.id,{title:o.trim()}),r("view"),d(""),n()}catch(q){d(Y(q).title||q.message)}finally{f(!1)}}},b=async()=>{if(!c){f(!0);try{await t.deleteTopic(e.id),n()}catch(R){d(R.message),f(!1)}}},[v,m]=_(""),$=R=>async()=>{if(!c){f(!0),d(""),m("");try{let q=await(R==="due"?t.reviewDue(e.id):t.startSession(e.id));L("/study/"+encodeURIComponent(q.session.id))}catch(q){q.code==="nothing_due"?m(ye(q)):d(q.message),f(!1)}}},w=$("bank"),k=$("due"),C=p.new!=null&&e.question_count>0,E=p.due_now?`Review ${p.due_now} due`:p.new?`Learn ${Math.min(p.new,20)} new`:"",x=p.accuracy;return u`<li class="card topic">
    ${s==="rename"?u`<form onSubmit=${g} class="inline-form" novalidate>
          <${M} id=${h+"-title"} label="New title" value=${o} onInput=${i} error=${l}
            maxlength="200" autofocus />
          <div class="actions">
            <button type="submit" class="primary">Save title</button>
            <button type="button" onClick=${()=>{r("view"),i(e.title),d("")}}>Cancel</button>
          </div>
        </form>`:u`<h2><${y} href=${a}>${e.title}</${y}></h2>`}
    <p class="meta">
      ${[P(e.question_count,"question"),p.last_studied_at?"last studied "+bt(p.last_studied_at):"not studied yet",p.sessions_completed?P(p.sessions_completed,"session")+" done":""].filter(Boolean).join(" \xB7 ")}
    </p>
    ${C&&u`<p class="learning">${an(p)}</p>`}
    ${C&&!E&&!v&&u`<p class="due-note">Nothing due${p.next_due_at?` \u2014 next review ${Le(p.next_due_at)}`:""}.</p>`}
    ${v&&u`<p class="due-note" role="status">${v}</p>`}
    <${se} value=${x??0} max=${1} label=${"Accuracy in "+e.title}
      text=${x==null?"No answers yet":`${Math.round(x*100)}% right (${p.correct} of ${p.answers})`} />
    ${s==="confirm-delete"?u`<div class="confirm" role="alertdialog" aria-labelledby=${h+"-confirm"}>
          <p id=${h+"-confirm"}>Delete “${e.title}” and its ${P(e.question_count,"question")}? This cannot be undone.</p>
          <div class="actions">
            <button type="button" class="danger" onClick=${b} autofocus>Yes, delete it</button>
            <button type="button" onClick=${()=>r("view")}>Keep it</button>
          </div>
        </div>`:s==="view"&&u`<div class="actions">
          ${e.question_count>0&&C&&E&&u`<button type="button" class="primary" onClick=${k} aria-busy=${c?"true":void 0}>${E}</button>`}
          ${e.question_count>0?u`<button type="button" class=${C&&E?"":"primary"} onClick=${w}
                aria-label=${"Study all of "+e.title}>Study</button>`:u`<${y} class="button primary" href=${a}>Add questions</${y}>`}
          <button type="button" onClick=${()=>r("rename")} aria-label=${"Rename "+e.title}>Rename</button>
          <button type="button" class="danger-outline" onClick=${()=>r("confirm-delete")}
            aria-label=${"Delete "+e.title}>Delete</button>
        </div>`}
    ${l&&s!=="rename"&&u`<p class="error-message" role="alert">${l}</p>`}
  </li>`}function Ct(t,e,n){let s=`Question ${t} of ${e}: ${n.prompt}`;return(n.choices||[]).forEach((r,o)=>{s+=`
${String.fromCharCode(65+o)}) ${r}`}),s}async function He(t,e,n){let s=[],r=e.progress.total;if(n.length===0&&e.current_question)s.push({from:"tutor",text:Ct(1,r,e.current_question)});else if(n.length&&n[0].question_id)try{let o=await t.question(e.topic_id,n[0].question_id);s.push({from:"tutor",text:Ct(1,r,o.question)})}catch{s.push({from:"tutor",text:"Question 1 (since removed from the topic)."})}for(let o of n)s.push(...Tt(o));return s}function St(t){let e=t.trim().toLowerCase();return e==="/hint"?"Hint, please.":e==="/skip"?"Skip this one.":t}function Tt(t){return[{from:"learner",text:St(t.message)},{from:"tutor",text:t.reply,correct:t.kind==="answer"?t.correct:null,kind:t.kind}]}function un({m:t,onRetry:e}){let n=["bubble",t.from,t.pending?"pending":"",t.streaming?"streaming":"",t.failed?"failed":"",t.correct===!0?"right":"",t.correct===!1?"wrong":""].filter(Boolean).join(" ");return u`<li class=${n} aria-busy=${t.pending||t.streaming?"true":void 0}>
    <span class="visually-hidden">${t.from==="tutor"?"Tutor: ":"You: "}</span>
    ${t.correct===!0&&u`<span class="verdict" aria-hidden="true">✓ </span>`}
    ${t.correct===!1&&u`<span class="verdict" aria-hidden="true">✗ </span>`}
    <span class="text">${t.text}</span>
    ${t.pending&&t.from==="learner"&&u`<span class="sending">Sending…</span>`}
    ${t.failed&&u`<span class="failed-note">${t.failed} <button type="button" onClick=${e}>Send again</button></span>`}
  </li>`}function we({messages:t,onRetry:e,label:n}){let s=I(null);return _t(()=>{s.current&&s.current.scrollIntoView({block:"end"})},[t.length,t[t.length-1]]),u`<ol class="chat" aria-label=${n} aria-live="polite" aria-relevant="additions">
    ${t.map((r,o)=>u`<${un} key=${o} m=${r} onRetry=${e} />`)}
    <li class="chat-end" ref=${s} aria-hidden="true"></li>
  </ol>`}function dn(t){return`${t.answered+t.skipped} of ${t.total} done \xB7 ${t.correct} right${t.skipped?` \xB7 ${t.skipped} skipped`:""}`}function pn({api:t,session:e}){let n=e.progress,[s,r]=_(""),[o,i]=_(!1),l=async()=>{if(!o){i(!0),r("");try{let d=await t.reviewDue(e.topic_id);L("/study/"+encodeURIComponent(d.session.id))}catch(d){r(d.code==="nothing_due"?ye(d):d.message),i(!1)}}};return u`<section class="card summary" aria-labelledby="summary-heading">
    <h2 id="summary-heading" tabindex="-1">Session complete</h2>
    <p class="score">${n.correct} of ${n.total} right${n.skipped?`, ${n.skipped} skipped`:""}.</p>
    <div class="actions">
      <${y} class="button primary" href=${"/topics/"+encodeURIComponent(e.topic_id)}>Back to the topic</${y}>
      <${y} class="button" href="/">Your topics</${y}>
      <${y} class="button" href=${"/history/"+encodeURIComponent(e.id)}>Transcript</${y}>
      <button type="button" onClick=${l} aria-busy=${o?"true":void 0}>Review what is due</button>
    </div>
    ${s&&u`<p class="due-note" role="status">${s}</p>`}
  </section>`}function Et({api:t,id:e}){let[n,s]=_(null),[r,o]=_([]),[i,l]=_(""),[d,c]=_(""),[f,p]=_(null),[a,h]=_(""),g=I(null),b=I(null);O("Study"),H(b,e),T(()=>{(async()=>{try{let[x,R]=await Promise.all([t.session(e),t.turns(e)]);o(await He(t,x.session,R.turns)),s(x.session)}catch(x){l(x.status===404?"This session does not exist.":x.message)}})()},[e]);let v=!!n;T(()=>{v&&g.current&&g.current.focus()},[v]);let m=n&&n.state==="active",$=async(x,R)=>{if(!(f&&!f.failed)){h(""),p({text:x,key:R});try{let q=await t.turn(e,x,R);p(null),o(N=>[...N,...Tt(q.turn)]),s(q.session),g.current&&g.current.focus()}catch(q){ge(q,{text:x,key:R,setPending:p,setInput:c,setError:h,over:async()=>{let N=await t.session(e).catch(()=>null);N&&s(N.session),h("This session is over.")}})}}},w=x=>{x.preventDefault();let R=d.trim();if(!(!R||f&&!f.failed||!m)){if(f&&f.failed){h("Send your last message again first, or reload the page.");return}c(""),$(R,Z())}},k=x=>()=>{!m||f||$(x,Z())},C=async()=>{if(!(!m||f))try{let x=Z();p({text:"End the session",key:x,ending:!0});let R=await t.endSession(e,x),q=await t.turns(e).catch(()=>null);s(R.session),q&&o(await He(t,R.session,q.turns)),p(null)}catch(x){p(null),h(x.message)}};if(i)return u`<main id="main"><h1 tabindex="-1" ref=${b}>Study</h1>
      <p class="error-message" role="alert">${i}</p><p><${y} href="/">Back to your topics</${y}></p></main>`;let E=f&&!f.ending?[...r,{from:"learner",text:St(f.text),pending:!f.failed,failed:f.failed}]:r;return u`<main id="main" class="study">
    <div class=${"study-head"+(m?" sticky":"")}>
      <h1 tabindex="-1" ref=${b} class="visually-hidden">Study session</h1>
      ${n?u`<${se} value=${n.progress.answered+n.progress.skipped} max=${n.progress.total}
            label="Progress" text=${dn(n.progress)} />`:u`<div class="progress placeholder"></div>`}
    </div>
    ${n?u`<${we} messages=${E} label="Conversation with the tutor"
      onRetry=${()=>$(f.text,f.key)} />`:u`<${B} label="Loading the session…" />`}
    ${n&&!m&&u`<${pn} api=${t} session=${n} />`}
    ${n&&m&&u`<form class="composer" onSubmit=${w} novalidate>
      ${a&&u`<p class="error-message" role="alert" id="answer-error">${a}</p>`}
      <label for="answer">Your answer</label>
      <div class="composer-row">
        <input id="answer" ref=${g} value=${d} onInput=${x=>c(x.currentTarget.value)}
          autocomplete="off" autocapitalize="off" spellcheck="false" maxlength="2000" enterkeyhint="send"
          aria-describedby=${a?"answer-error":void 0} />
        <button type="submit" class="primary">Answer</button>
      </div>
      <div class="composer-tools">
        <button type="button" onClick=${k("/hint")}>Hint</button>
        <button type="button" onClick=${k("/skip")}>Skip</button>
        <button type="button" class="danger-outline" onClick=${C}>End session</button>
      </div>
    </form>`}
  </main>`}function Rt({api:t}){let[e,n]=_(null),[s,r]=_(""),[o,i]=_(null),[l,d]=_(!1),c=I({}),f=I(null);O("History"),H(f,"history");let p=h=>h.map(g=>({...g,title:c.current[g.topic_id]||"A deleted topic"}));T(()=>{(async()=>{try{let[h,g]=await Promise.all([t.sessions(),t.topics("summary")]);c.current=Object.fromEntries(g.topics.map(b=>[b.id,b.title])),n(p(h.sessions)),i(h.next_cursor||null)}catch(h){r(h.message)}})()},[]);let a=async()=>{d(!0);try{let h=await t.sessions(o);n(g=>[...g,...p(h.sessions)]),i(h.next_cursor||null),r("")}catch(h){r(h.message)}finally{d(!1)}};return u`<main id="main">
    <h1 tabindex="-1" ref=${f}>History</h1>
    ${!e&&!s&&u`<${B} label="Loading your sessions…" />`}
    ${e&&(e.length===0?u`<div class="empty"><p>No sessions yet. Open a topic from <${y} href="/">your topics</${y}> and press Study.</p></div>`:u`<ul class="sessions">
          ${e.map(h=>u`<li class="card session-row" key=${h.id}>
              <h2><${y} href=${(h.state==="active"?"/study/":"/history/")+encodeURIComponent(h.id)}>${h.title}</${y}></h2>
              <p class="meta">${V(h.created_at)} · ${h.state==="active"?"in progress":h.state}</p>
              <${se} value=${h.progress.correct} max=${h.progress.total} label=${"Score of the session of "+V(h.created_at)}
                text=${`${h.progress.correct} of ${P(h.progress.total,"question")} right`} />
            </li>`)}
        </ul>`)}
    ${s&&u`<p class="error-message" role="alert">${s}</p>`}
    ${e&&o&&u`<p class="actions"><button type="button" class="button" onClick=${a} disabled=${l} aria-busy=${l?"true":void 0}>
      ${l?"Loading\u2026":"More sessions"}
    </button></p>`}
    <${Dt} api=${t} />
  </main>`}function Pt({api:t,id:e}){let[n,s]=_(null),[r,o]=_(null),[i,l]=_(""),d=I(null);return O("Transcript"),H(d,e),T(()=>{(async()=>{try{let[c,f]=await Promise.all([t.session(e),t.turns(e)]);o(await He(t,c.session,f.turns)),s(c.session)}catch(c){l(c.status===404?"This session does not exist.":c.message)}})()},[e]),u`<main id="main">
    <p class="crumbs"><${y} href="/history">History</${y}></p>
    <h1 tabindex="-1" ref=${d}>Transcript</h1>
    ${i&&u`<p class="error-message" role="alert">${i}</p>`}
    ${!n&&!i&&u`<${B} label="Loading the transcript…" />`}
    ${n&&u`<p class="meta">${V(n.created_at)} · ${n.progress.correct} of ${P(n.progress.total,"question")} right${n.progress.skipped?`, ${n.progress.skipped} skipped`:""}</p>
      ${r.length?u`<${we} messages=${r} label="Transcript" />`:u`<p class="empty">Nothing was said in this session.</p>`}
      ${n.state==="active"&&u`<p><${y} class="button primary" href=${"/study/"+encodeURIComponent(n.id)}>Continue this session</${y}></p>`}`}
  </main>`}var fn=50,Fe=t=>({from:t.role==="tutor"?"tutor":"learner",text:t.content,correct:t.correct});function It({api:t,id:e}){let[n,s]=_(null),[r,o]=_([]),[i,l]=_(""),[d,c]=_(""),[f,p]=_(null),[a,h]=_(""),[g,b]=_(""),[v,m]=_(!1),$=I(null),w=I(null);O(n?n.title:"Tutor"),H(w,e),T(()=>{(async()=>{try{let D=await t.conversation(e),Q=[...D.messages];for(let W=0;D.next_cursor&&W<fn;W++)D=await t.conversation(e,D.next_cursor),Q.push(...D.messages);o(Q.map(Fe)),s(D.conversation)}catch(D){l(D.status===404?"This conversation does not exist, or it has been deleted.":D.message)}})()},[e]);let k=n&&n.state==="active";T(()=>{k&&$.current&&$.current.focus()},[k]);let C=async(D,Q)=>{b(""),h(""),p({text:D,key:Q});try{let W=await t.say(e,D,Q,h);p(null),h(""),o(oe=>[...oe,...W.learner_message?[Fe(W.learner_message)]:[],Fe(W.message)]),s(W.conversation),$.current&&$.current.focus()}catch(W){h(""),ge(W,{text:D,key:Q,setPending:p,setInput:c,setError:b,over:async()=>{let oe=await t.conversation(e).catch(()=>null);oe&&s(oe.conversation),b("This conversation is over.")}})}},E=f&&!f.failed,x=D=>{D.preventDefault();let Q=d.trim();if(!(E||!k)){if(!Q){b("Write a message first: a question, or \u201Cquiz me\u201D.");return}if(f&&f.failed){b("Send your last message again first, or reload the page.");return}c(""),C(Q,Z())}},R=()=>{!E&&k&&!(f&&f.failed)&&C("quiz me",Z())},q=async()=>{if(!(E||!k))try{let D=await t.endConversation(e);s(D.conversation),p(null)}catch(D){b(D.message)}},N=async()=>{try{await t.deleteConversation(e),L("/history",{replace:!0})}catch(D){b(D.message),m(!1)}};if(i)return u`<main id="main"><h1 tabindex="-1" ref=${w}>Tutor</h1>
      <p class="error-message" role="alert">${i}</p><p><${y} href="/history">Back to the history</${y}></p></main>`;let j=r;return f&&(j=[...r,{from:"learner",text:f.text,pending:E,failed:f.failed}],E&&j.push({from:"tutor",text:a||"The tutor is writing\u2026",pending:!a,streaming:!0})),u`<main id="main" class="study tutor">
    <div class="study-head">
      <p class="crumbs">${n&&u`<${y} href=${"/topics/"+encodeURIComponent(n.topic_id)}>The topic</${y}>`}</p>
      <h1 tabindex="-1" ref=${w}>${n?n.title:"Tutor"}</h1>
      ${n&&u`<p class="meta">${V(n.created_at)} · ${P(n.message_count,"message")} · ${n.state==="active"?"open":n.state}</p>`}
    </div>
    ${!n&&u`<${B} label="Loading the conversation…" />`}
    ${n&&j.length===0&&u`<div class="empty"><p>Ask the tutor anything about this topic, or press “Quiz me” for a question from your notes.</p></div>`}
    ${n&&j.length>0&&u`<${we} messages=${j} label="Conversation with the tutor" onRetry=${()=>C(f.text,f.key)} />`}
    ${n&&!k&&u`<p class="notice">This conversation has ended${n.state==="expired"?" (it was idle too long)":""}.</p>`}
    ${n&&k&&u`<form class="composer" onSubmit=${x} novalidate>
      ${g&&u`<p class="error-message" role="alert" id="message-error">${g}</p>`}
      <label for="message">Your message</label>
      ${n.quizzing&&u`<p class="hint" id="message-hint">The tutor asked you a question: your next message is your answer.</p>`}
      <div class="composer-row">
        <input id="message" ref=${$} value=${d} onInput=${D=>c(D.currentTarget.value)}
          autocomplete="off" maxlength="2000" enterkeyhint="send"
          aria-describedby=${[g?"message-error":"",n.quizzing?"message-hint":""].filter(Boolean).join(" ")||void 0} />
        <button type="submit" class="primary" aria-busy=${E?"true":void 0}>Send</button>
      </div>
      <div class="composer-tools">
        <button type="button" onClick=${R}>Quiz me</button>
        <button type="button" onClick=${q}>End conversation</button>
        <button type="button" class="danger-outline" onClick=${()=>m(!0)}>Delete</button>
      </div>
    </form>`}
    ${n&&!k&&!v&&u`<div class="actions">
      ${g&&u`<p class="error-message" role="alert">${g}</p>`}
      <button type="button" class="danger-outline" onClick=${()=>m(!0)}>Delete this conversation</button>
    </div>`}
    ${v&&u`<div class="confirm card" role="alertdialog" aria-labelledby="delete-conv">
      <p id="delete-conv">Delete this conversation and its ${P(n.message_count,"message")}? This cannot be undone.</p>
      <div class="actions">
        <button type="button" class="danger" onClick=${N} autofocus>Yes, delete it</button>
        <button type="button" onClick=${()=>m(!1)}>Keep it</button>
      </div>
    </div>`}
  </main>`}function qt({api:t,topic:e}){let[n,s]=_(!1),[r,o]=_("");return u`<button type="button" class="ask-tutor" onClick=${async()=>{if(!n){s(!0),o("");try{let l=await t.startConversation(e.id);L("/tutor/"+encodeURIComponent(l.conversation.id))}catch(l){o(l.message),s(!1)}}}} aria-busy=${n?"true":void 0}>Ask the tutor</button>
    ${r&&u`<p class="error-message" role="alert">${r}</p>`}`}function Dt({api:t}){let[e,n]=_(null),[s,r]=_(null),[o,i]=_(""),l=async(d="")=>{try{let c=await t.conversations(d);n(f=>[...d?f:[],...c.conversations]),r(c.next_cursor||null),i("")}catch(c){i(c.message)}};return T(()=>{l()},[]),u`<section aria-labelledby="conversations-heading" class="conversations">
    <h2 id="conversations-heading">Conversations with the tutor</h2>
    ${!e&&!o&&u`<${B} label="Loading your conversations…" lines=${1} />`}
    ${e&&e.length===0&&u`<p class="empty">No conversations yet. Open a topic and press “Ask the tutor”.</p>`}
    ${e&&e.length>0&&u`<ul class="sessions">
      ${e.map(d=>u`<li class="card conversation-row" key=${d.id}>
          <h3><${y} href=${"/tutor/"+encodeURIComponent(d.id)}>${d.title}</${y}></h3>
          <p class="meta">${V(d.created_at)} · ${P(d.message_count,"message")} · ${d.state==="active"?"open":d.state}</p>
        </li>`)}
    </ul>`}
    ${o&&u`<p class="error-message" role="alert">${o}</p>`}
    ${s&&u`<p class="actions"><button type="button" onClick=${()=>l(s)}>More conversations</button></p>`}
  </section>`}function hn(t){let e=[],n=[];return t.split(/\r?\n/).forEach((s,r)=>{if(!s.trim())return;let o;if(s.includes("	"))o=s.split("	");else if(s.includes("::")){let d=s.indexOf("::");o=[s.slice(0,d),s.slice(d+2)]}else{n.push(`Line ${r+1} has no \u201C::\u201D or tab between question and answer.`);return}let i=o[0].trim(),l=o.slice(1).join(" ").trim();if(!i||!l){n.push(`Line ${r+1} needs both a question and an answer.`);return}e.push({prompt:i,answers:[l]})}),{questions:e,errors:n}}var At=t=>t.split(/\r?\n/).map(e=>e.trim()).filter(Boolean);function Ut(t){return{prompt:t?t.prompt:"",answers:t?(t.answers||[]).join(`
`):"",choices:t?(t.choices||[]).join(`
`):"",hint:t&&t.hint||"",explanation:t&&t.explanation||""}}function mn(t){return{prompt:t.prompt.trim(),answers:At(t.answers),choices:At(t.choices),hint:t.hint.trim(),explanation:t.explanation.trim()}}function _n(t){let e={};return t.prompt||(e.prompt="Enter the question."),t.answers.length||(e.answers="Enter at least one accepted answer."),t.choices.length===1?e.choices="Give at least two choices, or none.":t.choices.length&&t.answers.some(n=>!t.choices.includes(n))&&(e.choices="Every accepted answer must be one of the choices."),e}function Nt({api:t,id:e}){let[n,s]=_(null),[r,o]=_(null),[i,l]=_(""),d=I(null);O(n?n.title:"Topic"),H(d,e+(n?"1":"0"));let c=async()=>{try{let[f,p]=await Promise.all([t.topic(e),t.questions(e)]);s(f.topic),o(p.questions),l("")}catch(f){l(f.status===404?"This topic does not exist, or it has been deleted.":f.message)}};return T(()=>{c()},[e]),i?u`<main id="main">
      <h1 tabindex="-1" ref=${d}>Topic</h1>
      <p class="error-message" role="alert">${i}</p>
      <p><${y} href="/">Back to your topics</${y}></p>
    </main>`:n?u`<main id="main">
    <p class="crumbs"><${y} href="/">Your topics</${y}></p>
    <h1 tabindex="-1" ref=${d}>${n.title}</h1>
    <${$n} api=${t} topic=${n} count=${r.length} />
    <${gn} api=${t} topic=${n} onSaved=${s} />
    <${yn} api=${t} topicID=${e} questions=${r} onChange=${c} />
  </main>`:u`<main id="main"><h1 tabindex="-1" ref=${d}>Topic</h1><${B} label="Loading the topic…" lines=${5} /></main>`}function $n({api:t,topic:e,count:n}){let[s,r]=_(!1),[o,i]=_("");return n?u`<div class="study-start actions">
    <button type="button" class="primary big" onClick=${async()=>{if(!s){r(!0);try{let d=await t.startSession(e.id);L("/study/"+encodeURIComponent(d.session.id))}catch(d){i(d.message),r(!1)}}}} aria-busy=${s?"true":void 0}>
      Study ${P(Math.min(n,20),"question")}
    </button>
    <${qt} api=${t} topic=${e} />
    ${o&&u`<p class="error-message" role="alert">${o}</p>`}
  </div>`:u`<p class="notice">Add questions below, then study them here.</p>`}function gn({api:t,topic:e,onSaved:n}){let[s,r]=_(e.title),[o,i]=_(e.description||""),[l,d]=_({}),[c,f]=_(""),[p,a]=_(!1),h=async b=>{if(b.preventDefault(),p)return;let v={};if(s.trim()||(v["topic-title"]="Enter a title for the topic."),d(v),f(""),!Object.keys(v).length){a(!0);try{let m=await t.updateTopic(e.id,{title:s.trim(),description:o.trim()});n({...e,...m.topic}),f("Saved.")}catch(m){let $=Y(m,{title:"topic-title",description:"topic-description"});d(Object.keys($).length?$:{"topic-form":m.message})}finally{a(!1)}}},g=Object.entries(l).map(([b,v])=>({field:b==="topic-form"?void 0:b,message:v}));return u`<details class="card">
    <summary>Edit title and description</summary>
    <${z} errors=${g} />
    <form onSubmit=${h} novalidate>
      <${M} id="topic-title" label="Title" value=${s} onInput=${r} error=${l["topic-title"]} maxlength="200" />
      <${M} id="topic-description" label="Description (optional)" as="textarea" rows="3" value=${o}
        onInput=${i} error=${l["topic-description"]} maxlength="4000" />
      <div class="actions">
        <button type="submit" class="primary" aria-busy=${p?"true":void 0}>Save topic</button>
        <span role="status" class="saved">${c}</span>
      </div>
    </form>
  </details>`}function yn({api:t,topicID:e,questions:n,onChange:s}){let[r,o]=_(""),[i,l]=_(""),[d,c]=_({}),f=async p=>{try{await t.deleteQuestion(e,p.id),l(""),s()}catch(a){c({[p.id]:a.message})}};return u`<section aria-labelledby="bank-heading">
    <h2 id="bank-heading">Questions <span class="count">(${n.length})</span></h2>
    ${n.length===0?u`<div class="empty"><p>No questions yet. Paste a list below — one “Question :: Answer” a line — or add them one by one.</p></div>`:u`<table class="bank">
          <caption class="visually-hidden">The questions of this topic</caption>
          <thead><tr><th scope="col">Question</th><th scope="col">Answer</th><th scope="col">Hint</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${n.map((p,a)=>r===p.id?u`<tr key=${p.id} class="editing"><td colspan="4">
                    <${Lt} api=${t} topicID=${e} question=${p} idp=${"q"+a}
                      onDone=${()=>{o(""),s()}} onCancel=${()=>o("")} />
                  </td></tr>`:u`<tr key=${p.id}>
                    <td data-label="Question">
                      <span class="prompt">${p.prompt}</span>
                      ${p.choices&&p.choices.length>0&&u`<ol class="choices" type="A">${p.choices.map(h=>u`<li>${h}</li>`)}</ol>`}
                      ${p.explanation&&u`<p class="explanation">${p.explanation}</p>`}
                    </td>
                    <td data-label="Answer">${(p.answers||[]).join(" \xB7 ")}</td>
                    <td data-label="Hint">${p.hint||u`<span class="muted">—</span>`}</td>
                    <td class="row-actions">
                      ${i===p.id?u`<span class="confirm-inline">Delete this question?
                            <button type="button" class="danger" onClick=${()=>f(p)} autofocus>Delete</button>
                            <button type="button" onClick=${()=>l("")}>Keep</button></span>`:u`<button type="button" onClick=${()=>o(p.id)} aria-label=${"Edit question "+(a+1)}>Edit</button>
                            <button type="button" class="danger-outline" onClick=${()=>l(p.id)}
                              aria-label=${"Delete question "+(a+1)}>Delete</button>`}
                      ${d[p.id]&&u`<p class="error-message" role="alert">${d[p.id]}</p>`}
                    </td>
                  </tr>`)}
          </tbody>
        </table>`}
    <${vn} api=${t} topicID=${e} onDone=${s} />
    <details class="card">
      <summary>Add one question with choices, hint or explanation</summary>
      <${Lt} api=${t} topicID=${e} idp="new" onDone=${s} />
    </details>
    <${bn} api=${t} topicID=${e} onDone=${s} />
    <${wn} api=${t} topicID=${e} onDone=${s} />
    <${kn} api=${t} topicID=${e} empty=${n.length===0} />
  </section>`}function Lt({api:t,topicID:e,question:n,idp:s,onDone:r,onCancel:o}){let[i,l]=_(Ut(n)),[d,c]=_({}),[f,p]=_(!1),a=v=>m=>l({...i,[v]:m}),h=v=>`${s}-${v}`,g=async v=>{if(v.preventDefault(),f)return;let m=mn(i),$=_n(m);if(c($),!Object.keys($).length){p(!0);try{n?(!m.choices.length&&!(n.choices||[]).length&&delete m.choices,await t.updateQuestion(e,n.id,m)):(m.choices.length||delete m.choices,await t.addQuestions(e,[m]),l(Ut(null))),c({}),r()}catch(w){let k=Y(w);c(Object.keys(k).length?k:{form:w.message})}finally{p(!1)}}},b=Object.entries(d).map(([v,m])=>({field:v==="form"?void 0:h(v),message:m}));return u`<form onSubmit=${g} novalidate class="question-form">
    <${z} errors=${b} />
    <${M} id=${h("prompt")} label="Question" as="textarea" rows="2" value=${i.prompt} onInput=${a("prompt")}
      error=${d.prompt} maxlength="2000" />
    <${M} id=${h("answers")} label="Accepted answers" hint="One a line." as="textarea" rows="2" value=${i.answers}
      onInput=${a("answers")} error=${d.answers} />
    <${M} id=${h("choices")} label="Choices (optional)" hint="One a line; makes it multiple choice." as="textarea"
      rows="3" value=${i.choices} onInput=${a("choices")} error=${d.choices} />
    <${M} id=${h("hint")} label="Hint (optional)" value=${i.hint} onInput=${a("hint")} error=${d.hint}
      maxlength="500" />
    <${M} id=${h("explanation")} label="Explanation (optional)" hint="Shown after the answer." as="textarea" rows="2"
      value=${i.explanation} onInput=${a("explanation")} error=${d.explanation} maxlength="4000" />
    <div class="actions">
      <button type="submit" class="primary" aria-busy=${f?"true":void 0}>${n?"Save question":"Add question"}</button>
      ${o&&u`<button type="button" onClick=${o}>Cancel</button>`}
    </div>
  </form>`}function vn({api:t,topicID:e,onDone:n}){let[s,r]=_(""),[o,i]=_([]),[l,d]=_(""),[c,f]=_(!1),p=hn(s);return u`<form onSubmit=${async h=>{if(h.preventDefault(),!c){if(d(""),!p.questions.length&&!p.errors.length){i(["Paste at least one line: a question, \u201C::\u201D, then its answer."]);return}if(p.errors.length){i(p.errors);return}f(!0);try{await t.addQuestions(e,p.questions),r(""),i([]),d(`Added ${P(p.questions.length,"question")}.`),n()}catch(g){i([g.message])}finally{f(!1)}}}} class="card paste" novalidate>
    <h3>Paste questions</h3>
    <${z} errors=${o.map(h=>({field:"paste",message:h}))} />
    <${M} id="paste" label="Questions, one a line" as="textarea" rows="5" value=${s} onInput=${r}
      hint="Write “Question :: Answer”, or paste two columns from a spreadsheet (question, tab, answer)."
      error=${o.length?o[0]:""} placeholder=${`Capital of France :: Paris
Capital of Spain :: Madrid`} />
    <div class="actions">
      <button type="submit" class="primary" aria-busy=${c?"true":void 0}>
        ${p.questions.length?`Add ${P(p.questions.length,"question")}`:"Add questions"}
      </button>
      <span role="status" class="saved">${l}</span>
    </div>
  </form>`}function Mt(t){return t.lines&&t.lines.length?t.lines.map(e=>`Line ${e.line}: ${e.message.charAt(0).toUpperCase()+e.message.slice(1)}.`):[t.message]}function bn({api:t,topicID:e,onDone:n}){let[s,r]=_(""),[o,i]=_(!1),[l,d]=_(null),[c,f]=_([]),[p,a]=_(""),[h,g]=_(!1),b=async m=>{if(!h){if(a(""),!s.trim()){f(["Write or paste your notes first."]);return}g(!0);try{let $=await t.generate(e,s,{dryRun:m,boldAsCloze:o});f([]),m?d($):(d(null),r(""),a(`Added ${P($.questions.length,"question")}`+($.duplicates?`; ${$.duplicates} already in the bank.`:".")),n())}catch($){d(null),f(Mt($))}finally{g(!1)}}},v=m=>$=>{m($),d(null)};return u`<details class="card generate">
    <summary>Generate from notes</summary>
    <form onSubmit=${m=>{m.preventDefault(),b(!0)}} novalidate>
      <${z} errors=${c.map(m=>({field:"notes",message:m}))} />
      <${M} id="notes" label="Notes" as="textarea" rows="6" value=${s} onInput=${v(r)}
        hint="Mark what to learn: ==term== or {{c1::term}} in a sentence, or “Question :: Answer” on a line."
        error=${c.length?c[0]:""} placeholder=${`The ==Seine== flows through Paris.
Capital of Peru :: Lima`} />
      <div class="field checkbox">
        <input type="checkbox" id="bold-as-cloze" checked=${o} onChange=${m=>v(i)(m.currentTarget.checked)} />
        <label for="bold-as-cloze">Make **bold** words blanks too</label>
      </div>
      <div class="actions">
        <button type="submit" class=${l?"":"primary"} aria-busy=${h&&!l?"true":void 0}>Preview</button>
        <span role="status" class="saved">${p}</span>
      </div>
    </form>
    ${l&&u`<section class="preview" aria-labelledby="preview-heading">
      <h3 id="preview-heading" tabindex="-1">
        ${l.questions.length?`${P(l.questions.length,"question")} would be made`:"Nothing new would be made"}${l.duplicates?` (${l.duplicates} already in the bank)`:""}
      </h3>
      <ol class="generated">
        ${l.questions.map(m=>u`<li><span class="prompt">${m.prompt}</span> <span class="muted">→</span> ${m.answers.join(" \xB7 ")}${m.hint?u` <span class="muted">(hint: ${m.hint})</span>`:""}
            <span class="line">(line ${m.line})</span></li>`)}
      </ol>
      ${l.questions.length>0&&u`<div class="actions"><button type="button" class="primary" onClick=${()=>b(!1)} aria-busy=${h?"true":void 0}>
        Add ${P(l.questions.length,"question")}
      </button></div>`}
    </section>`}
  </details>`}function wn({api:t,topicID:e,onDone:n}){let[s,r]=_([]),[o,i]=_(null),[l,d]=_(!1),c=I(null);return u`<details class="card import">
    <summary>Import a card file</summary>
    <form onSubmit=${async p=>{if(p.preventDefault(),l)return;i(null);let a=c.current&&c.current.files[0];if(!a){r(["Choose a file to import."]);return}let h=/\.csv$/i.test(a.name)||a.type==="text/csv"?"text/csv":"text/tab-separated-values";d(!0);try{let g=await t.importCards(e,await a.text(),h);r([]),i(g),c.current.value="",g.added&&n()}catch(g){r(Mt(g))}finally{d(!1)}}} novalidate>
      <${z} title="The file was not imported"
        errors=${s.length>1?[{field:"import-file",message:`${s.length} lines have problems: nothing was added.`}]:s.map(p=>({field:"import-file",message:p}))} />
      <div class=${"field"+(s.length?" field-error":"")}>
        <label for="import-file">Card file (CSV or tab-separated)</label>
        <p class="hint" id="import-file-hint">Question, then answer, one a row — as Anki exports notes as text. Rows already in the bank are skipped.</p>
        ${s.length>0&&u`<ul class="error-message" id="import-file-error">${s.map(p=>u`<li>${p}</li>`)}</ul>`}
        <input type="file" id="import-file" ref=${c} accept=".csv,.tsv,.txt,text/csv,text/tab-separated-values,text/plain"
          aria-describedby=${"import-file-hint"+(s.length?" import-file-error":"")} />
      </div>
      <div class="actions">
        <button type="submit" class="primary" aria-busy=${l?"true":void 0}>Import</button>
      </div>
    </form>
    ${o&&u`<div class="import-result" role="status">
      <p><strong>Added ${P(o.added,"question")}</strong>${o.duplicates?`; ${o.duplicates} already in the bank, skipped`:""}.</p>
      <ul class="rows">
        ${o.rows.map(p=>u`<li>Line ${p.line}: ${p.status==="added"?"added":"already in the bank"}</li>`)}
      </ul>
    </div>`}
  </details>`}function kn({api:t,topicID:e,empty:n}){let[s,r]=_(""),[o,i]=_("");if(n)return null;let l=d=>async()=>{if(!o){i(d),r("");try{let{blob:c,filename:f}=await t.exportCards(e,d),p=URL.createObjectURL(c),a=document.createElement("a");a.href=p,a.download=f,document.body.appendChild(a),a.click(),a.remove(),setTimeout(()=>URL.revokeObjectURL(p),1e4)}catch(c){r(c.message)}finally{i("")}}};return u`<div class="export actions">
    <span>Export the questions:</span>
    <button type="button" onClick=${l("tsv")} aria-busy=${o==="tsv"?"true":void 0}>Download TSV</button>
    <button type="button" onClick=${l("csv")} aria-busy=${o==="csv"?"true":void 0}>Download CSV</button>
    ${s&&u`<p class="error-message" role="alert">${s}</p>`}
  </div>`}var Ot=2e3,xn=90;function F(t,e=""){if(t==null||Number.isNaN(t))return"\u2013";let n=Math.abs(t);return(n>=100?t.toFixed(0):n>=10?t.toFixed(1):t.toFixed(2))+e}var Be=t=>t==null?"\u2013":Math.round(t*100)+" %";function ke(t){if(t==null||Number.isNaN(t))return"\u2013";let e=["B","KiB","MiB","GiB"],n=0;for(;t>=1024&&n<e.length-1;)t/=1024,n++;return(n===0||t>=100?String(Math.round(t)):t.toFixed(1).replace(/\.0$/,""))+"\xA0"+e[n]}var Cn=t=>t==null?"\u2013":Math.round(t).toLocaleString("en-US"),Bt=t=>Cn(t)+(t===1?" entry":" entries"),Sn=t=>t.enabled?`${Bt(t.entries)}, ${ke(t.bytes)}`:"Off";function Ht(t,e,n){let s=new Array(e.length+1).fill(0);for(let l of n)l.latency_counts.forEach((d,c)=>s[c]+=d);let r=s.reduce((l,d)=>l+d,0);if(!r)return null;let o=t*r,i=0;for(let l=0;l<s.length;l++){let d=s[l];if(d<=0||i+d<o){i+=d;continue}if(l>=e.length)return e[e.length-1];let c=l>0?e[l-1]:0;return c+(e[l]-c)*(o-i)/d}return e[e.length-1]}function je(t){let e=t.routes.reduce((r,o)=>r+o.per_second,0),n=0,s=0;for(let r of t.caches)n+=r.hits,s+=r.hits+r.misses+r.errors;return{rps:e,p50:Ht(.5,t.latency_bounds_ms,t.routes),p99:Ht(.99,t.latency_bounds_ms,t.routes),hitRatio:s?n/s:null,avoided:t.db.reads_avoided,dbReads:t.db.reads,limited:t.rate_limit.limited,allowed:t.rate_limit.allowed,fallback:t.rate_limit.fallback,nearEntries:t.near_cache.enabled?t.near_cache.entries:null}}function ze({values:t,label:e,max:n}){let o=Math.max(n||0,...t.filter(d=>d!==null),1e-9),i=Math.max(t.length,2),l="";return t.forEach((d,c)=>{if(d===null)return;let f=(c+(i-t.length))/(i-1)*120,p=30-d/o*28;l+=`${l&&t[c-1]!==null?"L":"M"}${f.toFixed(1)},${p.toFixed(1)}`}),u`<svg class="spark" viewBox=${"0 0 120 32"} preserveAspectRatio="none" role="img" aria-label=${e}>
    <path class="spark-base" d=${"M0,31H120"} />
    ${l&&u`<path class="spark-line" d=${l} />`}
  </svg>`}function J({title:t,value:e,hint:n,values:s,state:r}){return u`<section class=${"stat"+(r?" stat-"+r:"")}>
    <h2>${t}</h2>
    <p class="stat-value">${e}</p>
    ${n&&u`<p class="meta">${n}</p>`}
    ${s&&u`<${ze} values=${s} label=${t+", last minutes"} max=${t.includes("ratio")?1:0} />`}
  </section>`}var Ft={ok:"Up",degraded:"Down: serving from the database",disabled:"Not used (in-process caches)"};function jt({api:t}){let[e,n]=_([]),[s,r]=_(null),[o,i]=_("cluster"),l=I(null);O("Operations"),H(l,"ops"),T(()=>{let m=!1,$=0,w=async()=>{try{let k=await t.ops();if(m)return;r(null),n(C=>[...C,{at:Date.now(),view:k}].slice(-xn))}catch(k){if(m||(r(k),k.status===403||k.status===401))return}$=setTimeout(w,Ot)};return w(),()=>{m=!0,clearTimeout($)}},[]);let d=u`<h1 tabindex="-1" ref=${l}>Operations</h1>`;if(s&&s.status===403)return u`<main id="main">${d}
      <div class="notice" role="alert">
        <p><strong>This page is for admins.</strong> Your account does not have the admin role.</p>
        <p>An operator can grant it on the server with <code>recall admin grant USERNAME</code>.</p>
      </div>
    </main>`;if(!e.length)return u`<main id="main">${d}
      ${s?u`<p class="error-message" role="alert">${s.message}</p>`:u`<${B} label="Loading the figures…" />`}
    </main>`;let c=e[e.length-1].view,f=m=>o==="cluster"?m.cluster:m.instances.find($=>$.instance===o)||null,p=f(c)||c.cluster,a=je(p),h=m=>e.map($=>{let w=f($.view);return w&&w.seconds>0?m(je(w)):null}),g=p.redis==="degraded"?"bad":p.redis==="ok"?"good":"",b=o==="cluster"?`all ${c.instances.length} instance${c.instances.length===1?"":"s"}`:o,v={redis:"Figures of every instance, shared through Redis.",local:"No Redis: the figures of this instance alone.",local_only:"Redis cannot be read: the figures of this instance alone."}[c.source];return u`<main id="main" class="ops">
    ${d}
    ${s&&u`<p class="error-message" role="alert">Could not refresh: ${s.message} Showing the last figures.</p>`}
    <div class="ops-bar">
      <p class="meta">${v} Refreshed every ${Ot/1e3} s; answered by ${c.instance}.</p>
      <div class="field ops-scope">
        <label for="ops-scope">Show</label>
        <select id="ops-scope" value=${o} onChange=${m=>i(m.currentTarget.value)}>
          <option value="cluster">Whole cluster</option>
          ${c.instances.map(m=>u`<option value=${m.instance}>${m.instance}${m.instance===c.instance?" (this one)":""}</option>`)}
        </select>
      </div>
    </div>
    <h2 class="visually-hidden">Now, ${b}</h2>
    <div class="stats">
      <${J} title="Redis" value=${Ft[p.redis]||p.redis} state=${g} />
      <${J} title="Requests" value=${F(a.rps," /s")} values=${h(m=>m.rps)} />
      <${J} title="Latency p99" value=${F(a.p99," ms")} hint=${"p50 "+F(a.p50," ms")} values=${h(m=>m.p99)} />
      <${J} title="Cache hit ratio" value=${Be(a.hitRatio)} values=${h(m=>m.hitRatio)} />
      <${J} title="Database reads avoided" value=${F(a.avoided," /s")} hint=${F(a.dbReads," /s")+" reads served by the database"}
        values=${h(m=>m.avoided)} />
      <${J} title="Rate limited" value=${F(a.limited," /s")} state=${a.limited>0?"warn":""}
        hint=${`${F(a.allowed," /s")} allowed, ${F(a.fallback," /s")} by the local fallback`} values=${h(m=>m.limited)} />
      ${p.near_cache.enabled?u`<${J} title="Near-cache" value=${Bt(p.near_cache.entries)}
            hint=${o==="cluster"&&c.instances.length>1?`${ke(p.near_cache.bytes)} held in the instances' memory`:`${ke(p.near_cache.bytes)} held in memory, at most ${ke(p.near_cache.capacity_bytes)} per Redis connection`}
            values=${h(m=>m.nearEntries)} />`:u`<${J} title="Near-cache" value="Off" hint=${p.redis==="disabled"?"No Redis: the caches live in process":"Every cached read goes to Redis"} />`}
    </div>

    <h2>Instances</h2>
    <div class="table-wrap">
      <table>
        <thead><tr><th scope="col">Instance</th><th scope="col">Requests</th><th scope="col">p99</th><th scope="col">Cache hits</th><th scope="col">Near-cache</th><th scope="col">Redis</th></tr></thead>
        <tbody>
          ${c.instances.map(m=>{let $=je(m);return u`<tr key=${m.instance}>
              <th scope="row">${m.instance}${m.instance===c.instance?" (this one)":""}</th>
              <td>${F($.rps," /s")}</td><td>${F($.p99," ms")}</td><td>${Be($.hitRatio)}</td><td>${Sn(m.near_cache)}</td><td>${Ft[m.redis]||m.redis}</td>
            </tr>`})}
        </tbody>
      </table>
    </div>

    <h2>Routes</h2>
    ${p.routes.length===0?u`<p class="empty">No requests in the last interval.</p>`:u`<div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Route</th><th scope="col">Requests</th><th scope="col">p50</th><th scope="col">p99</th><th scope="col">Trend</th></tr></thead>
            <tbody>
              ${p.routes.map(m=>{let $=m.method+" "+m.route,w=e.map(k=>{let C=f(k.view),E=C&&C.routes.find(x=>x.method===m.method&&x.route===m.route);return C&&C.seconds>0?E?E.per_second:0:null});return u`<tr key=${$}>
                  <th scope="row"><code>${$}</code></th>
                  <td>${F(m.per_second," /s")}</td><td>${F(m.p50_ms," ms")}</td><td>${F(m.p99_ms," ms")}</td>
                  <td><${ze} values=${w} label=${"Requests per second of "+$} /></td>
                </tr>`})}
            </tbody>
          </table>
        </div>`}

    <h2>Caches</h2>
    ${p.caches.length===0?u`<p class="empty">No cache lookups yet.</p>`:u`<div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Cache</th><th scope="col">Hit ratio</th><th scope="col">Hits</th><th scope="col">Misses</th><th scope="col">Errors</th><th scope="col">Trend</th></tr></thead>
            <tbody>
              ${p.caches.map(m=>{let $=e.map(w=>{let k=f(w.view),C=k&&k.caches.find(E=>E.cache===m.cache);return C&&C.hit_ratio!==null?C.hit_ratio:null});return u`<tr key=${m.cache}>
                  <th scope="row">${m.cache}</th><td>${Be(m.hit_ratio)}</td>
                  <td>${F(m.hits," /s")}</td><td>${F(m.misses," /s")}</td><td>${F(m.errors," /s")}</td>
                  <td><${ze} values=${$} max=${1} label=${"Hit ratio of the "+m.cache+" cache"} /></td>
                </tr>`})}
            </tbody>
          </table>
        </div>`}
  </main>`}function Tn(t){let e=[];try{e=Intl.supportedValuesOf("timeZone")}catch{e=[]}let n=new Set(["UTC",...e]);return t&&n.add(t),[...n]}function zt({api:t}){let[e,n]=_(null),[s,r]=_(""),[o,i]=_(""),[l,d]=_(""),[c,f]=_(!1),p=I(null);O("Your account"),H(p,"account"),T(()=>{t.me().then(g=>{n(g),r(g.user.time_zone||"UTC")},g=>i(g.message))},[]);let a=Intl.DateTimeFormat().resolvedOptions().timeZone,h=async g=>{if(g.preventDefault(),!c){f(!0),i(""),d("");try{let b=await t.setTimeZone(s);n({...e,user:b.user}),d("Saved.")}catch(b){i(b.fields&&b.fields.time_zone||b.message)}finally{f(!1)}}};return u`<main id="main" class="narrow">
    <h1 tabindex="-1" ref=${p}>Your account</h1>
    ${!e&&!o&&u`<${B} label="Loading your account…" />`}
    ${!e&&o&&u`<p class="error-message" role="alert">${o}</p>`}
    ${e&&u`<p>Signed in as <strong>${e.user.username}</strong>.</p>
      ${e.streak&&u`<p>Study streak: ${P(e.streak.current,"day")} in a row (longest ${P(e.streak.longest,"day")}).</p>`}
      <form class="card" onSubmit=${h} novalidate>
        <div class=${"field"+(o?" field-error":"")}>
          <label for="time-zone">Time zone</label>
          <p class="hint" id="time-zone-hint">Days of study, your streak and the daily number of reviews count in it.</p>
          ${o&&u`<p class="error-message" id="time-zone-error"><span class="visually-hidden">Error: </span>${o}</p>`}
          <select id="time-zone" value=${s} onChange=${g=>r(g.currentTarget.value)}
            aria-describedby=${"time-zone-hint"+(o?" time-zone-error":"")}>
            ${Tn(s).map(g=>u`<option value=${g} key=${g}>${g.replace(/_/g," ")}</option>`)}
          </select>
        </div>
        <div class="actions">
          <button type="submit" class="primary" aria-busy=${c?"true":void 0}>Save time zone</button>
          ${a&&a!==s&&u`<button type="button" onClick=${()=>r(a)}>Use this device’s (${a.replace(/_/g," ")})</button>`}
          <span role="status" class="saved">${l}</span>
        </div>
      </form>`}
  </main>`}var En=[{re:/^\/$/,page:"dashboard",auth:!0},{re:/^\/signin$/,page:"signin"},{re:/^\/signup$/,page:"signup"},{re:/^\/topics\/([^/]+)$/,page:"topic",auth:!0},{re:/^\/study\/([^/]+)$/,page:"study",auth:!0},{re:/^\/history$/,page:"history",auth:!0},{re:/^\/history\/([^/]+)$/,page:"transcript",auth:!0},{re:/^\/ops$/,page:"ops",auth:!0},{re:/^\/account$/,page:"account",auth:!0},{re:/^\/tutor\/([^/]+)$/,page:"tutor",auth:!0}];function Rn(t){for(let e of En){let n=e.re.exec(t);if(n)return{...e,id:n[1]?decodeURIComponent(n[1]):""}}return{page:"notfound"}}function Pn(){let[t,e]=_(location.pathname),[n,s]=_(""),[r,o]=_("ok"),i=Ae(()=>new be({onSignedOut:()=>{s("You have been signed out. Sign in again to go on."),L("/signin",{replace:!0})},onConnection:o}),[]);T(()=>{let h=()=>e(location.pathname);return addEventListener("popstate",h),()=>removeEventListener("popstate",h)},[]);let l=Rn(t),d=i.signedIn(),[c,f]=_(!1);T(()=>{if(!d){f(!1);return}i.me().then(h=>f(!!h.user.admin),()=>f(!1))},[d]),T(()=>{l.auth&&!d?L("/signin",{replace:!0}):(l.page==="signin"||l.page==="signup")&&d&&L("/",{replace:!0})},[t,d]);let p=async()=>{try{await i.signOut()}catch{}s("You are signed out."),L("/signin",{replace:!0})},a;return l.auth&&!d?a=null:l.page==="signin"?a=u`<${Oe} api=${i} notice=${n} />`:l.page==="signup"?a=u`<${Oe} api=${i} signUp />`:l.page==="dashboard"?a=u`<${xt} api=${i} />`:l.page==="topic"?a=u`<${Nt} key=${l.id} api=${i} id=${l.id} />`:l.page==="study"?a=u`<${Et} key=${l.id} api=${i} id=${l.id} />`:l.page==="history"?a=u`<${Rt} api=${i} />`:l.page==="transcript"?a=u`<${Pt} key=${l.id} api=${i} id=${l.id} />`:l.page==="ops"?a=u`<${jt} api=${i} />`:l.page==="account"?a=u`<${zt} api=${i} />`:l.page==="tutor"?a=u`<${It} key=${l.id} api=${i} id=${l.id} />`:a=u`<main id="main"><h1>Page not found</h1><p>There is nothing at this address. <${y} href="/">Go to your topics</${y}>.</p></main>`,u`<a class="skip-link" href="#main">Skip to content</a>
    <header class="top">
      <nav aria-label="Main">
        <${y} class="brand" href="/">Recall</${y}>
        ${d&&u`<${y} href="/" aria-current=${l.page==="dashboard"?"page":void 0}>Topics</${y}>
          <${y} href="/history" aria-current=${l.page==="history"||l.page==="transcript"||l.page==="tutor"?"page":void 0}>History</${y}>
          ${c&&u`<${y} href="/ops" aria-current=${l.page==="ops"?"page":void 0}>Operations</${y}>`}
          <${y} href="/account" aria-current=${l.page==="account"?"page":void 0}>Account</${y}>
          <button type="button" class="link-button" onClick=${p}>Sign out</button>`}
      </nav>
    </header>
    ${r==="retrying"&&u`<p class="connection" role="status">Connection lost. Retrying…</p>`}
    ${a}`}at(u`<${Pn} />`,document.getElementById("app"));
